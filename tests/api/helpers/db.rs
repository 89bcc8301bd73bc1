//! The app's database, read and written directly.

use super::TestApp;

/// Every text value of every table, for tests that grep the database for what must not
/// be there.
pub fn dump_database(conn: &mut outcomes::db::DbConn) -> String {
    use diesel::sql_types::Text;
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text)]
        line: String,
    }
    let tables_sql = match conn {
        outcomes::db::DbConn::Sqlite(_) => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        outcomes::db::DbConn::Postgres(_) => {
            "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = current_schema()"
        }
    };
    let tables: Vec<Name> = diesel::sql_query(tables_sql).load(conn).unwrap();
    let mut out = String::new();
    for t in tables {
        let sql = match conn {
            outcomes::db::DbConn::Sqlite(_) => format!(
                "SELECT group_concat(quote(x.rowid) || ':' || coalesce((SELECT group_concat(value, ',') FROM json_each(json_array(x.rowid))), ''), '|') AS line FROM \"{}\" x",
                t.name
            ),
            outcomes::db::DbConn::Postgres(_) => {
                format!("SELECT coalesce(string_agg(x::text, '|'), '') AS line FROM \"{}\" x", t.name)
            }
        };
        let sql = if matches!(conn, outcomes::db::DbConn::Sqlite(_)) {
            // SQLite has no row-to-text cast: build one from the column list.
            #[derive(diesel::QueryableByName)]
            struct Col {
                #[diesel(sql_type = Text)]
                name: String,
            }
            let cols: Vec<Col> =
                diesel::sql_query(format!("SELECT name FROM pragma_table_info('{}')", t.name))
                    .load(conn)
                    .unwrap();
            let expr = cols
                .iter()
                .map(|c| format!("coalesce(CAST(\"{}\" AS TEXT), '')", c.name))
                .collect::<Vec<_>>()
                .join(" || ',' || ");
            let _ = sql;
            format!(
                "SELECT coalesce(group_concat({expr}, '|'), '') AS line FROM \"{}\"",
                t.name
            )
        } else {
            sql
        };
        let lines: Vec<Line> = diesel::sql_query(sql).load(conn).unwrap();
        for l in lines {
            out.push_str(&t.name);
            out.push(':');
            out.push_str(&l.line);
            out.push('\n');
        }
    }
    out
}

impl TestApp {
    /// One column of a table as text, in id order.
    pub fn column(&self, column: &str, table: &str) -> Vec<String> {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Value {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        diesel::sql_query(format!(
            "SELECT CAST({column} AS TEXT) AS value FROM {table} ORDER BY id"
        ))
        .load::<Value>(&mut self.db())
        .unwrap()
        .into_iter()
        .map(|v| v.value)
        .collect()
    }

    /// Runs a SQL statement on the app's database (to age a session, tamper with audit rows...).
    pub fn execute(&self, sql: &str) -> usize {
        use diesel::RunQueryDsl;
        diesel::sql_query(sql).execute(&mut self.db()).unwrap()
    }
}
