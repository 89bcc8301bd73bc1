//! `GET /admin/audit`: the audit trail, newest first, filtered by action, entity, user
//! and date, 50 events a page.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{render, viewer_context, Choice};
use crate::domain::enums::AuditAction;
use crate::domain::ids::UserId;
use crate::store::{audit, users};
use crate::web::errors::{blocking, PageError};
use crate::web::security::CspNonce;
use crate::web::session::Viewer;
use crate::web::AppState;

const PER_PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct Query {
    #[serde(default)]
    action: String,
    #[serde(default)]
    entity: String,
    /// One record's id (with `entity`).
    #[serde(default)]
    record: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<i64>,
}

impl Query {
    /// Unparseable parts are ignored (and shown as they were typed).
    fn filter(&self) -> audit::Filter {
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        audit::Filter {
            action: self.action.parse::<AuditAction>().ok(),
            entity: text(&self.entity),
            entity_id: text(&self.record),
            user_id: self.user.trim().parse::<i64>().ok().map(UserId),
            from: NaiveDate::parse_from_str(self.from.trim(), "%Y-%m-%d").ok(),
            to: NaiveDate::parse_from_str(self.to.trim(), "%Y-%m-%d").ok(),
        }
    }

    fn link(&self, page: i64) -> String {
        let pairs = [
            ("action", self.action.as_str()),
            ("entity", self.entity.as_str()),
            ("record", self.record.as_str()),
            ("user", self.user.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
        ];
        let mut query: Vec<(&str, String)> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (*k, v.to_string()))
            .collect();
        query.push(("page", page.to_string()));
        format!(
            "/admin/audit?{}",
            serde_urlencoded::to_string(query).unwrap_or_default()
        )
    }
}

/// The page of a record the trail names, where there is one.
fn record_href(entity: &str, id: &str) -> Option<String> {
    let id: i64 = id.parse().ok()?;
    let base = match entity {
        "participant" => "/participants",
        "referral" => "/referrals",
        "session" => "/sessions",
        "programme" => "/programmes",
        "user" => return Some("/admin/users".to_string()),
        "import_batch" => return Some("/uploads".to_string()),
        _ => return None,
    };
    Some(format!("{base}/{id}"))
}

/// An event of the trail as `pages/admin/audit` shows it.
#[derive(Serialize)]
struct EventView<'a> {
    id: i64,
    occurred_at: String,
    user: String,
    user_id: Option<String>,
    action: &'a str,
    entity: &'a str,
    entity_id: &'a str,
    record_href: Option<String>,
    history_href: Option<String>,
    changed_fields: String,
    detail: &'a str,
}

/// The view of `pages/admin/audit`.
#[derive(Serialize)]
struct AuditView<'a> {
    events: Vec<EventView<'a>>,
    total: i64,
    page: i64,
    pages: i64,
    previous: Option<String>,
    next: Option<String>,
    actions: Vec<Choice>,
    entities: Vec<Choice>,
    people: Vec<Choice>,
    record: &'a str,
    from: &'a str,
    to: &'a str,
}

pub async fn list(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
    query: web::Query<Query>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let filter = query.filter();
    let page = query.page.unwrap_or(1).max(1);
    let (events, total, entities, people) = blocking(move || {
        let mut conn = state.conn()?;
        let (events, total) = audit::list(&mut conn, &filter, page, PER_PAGE)?;
        Ok((
            events,
            total,
            audit::entities(&mut conn)?,
            users::list(&mut conn)?,
        ))
    })
    .await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let names: std::collections::HashMap<UserId, String> = people
        .iter()
        .map(|u| (u.id, format!("{} ({})", u.display_name, u.email)))
        .collect();
    let rows = events
        .iter()
        .map(|e| {
            let user = e.user_id.map(|u| {
                names
                    .get(&UserId(u))
                    .cloned()
                    .unwrap_or_else(|| format!("user {u}"))
            });
            let id = e.entity_id.as_deref();
            EventView {
                id: e.id,
                occurred_at: e.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                user: user.unwrap_or_else(|| "the command line".into()),
                user_id: e.user_id.map(|u| u.to_string()),
                action: &e.action,
                entity: &e.entity,
                entity_id: id.unwrap_or("–"),
                record_href: id.and_then(|id| record_href(&e.entity, id)),
                history_href: id.map(|id| {
                    format!(
                        "/admin/audit?{}",
                        serde_urlencoded::to_string([
                            ("entity", e.entity.as_str()),
                            ("record", id)
                        ])
                        .unwrap_or_default()
                    )
                }),
                changed_fields: e.changed_fields.replace(',', ", "),
                detail: &e.detail,
            }
        })
        .collect();
    let view = AuditView {
        events: rows,
        total,
        page,
        pages,
        previous: (page > 1).then(|| query.link(page - 1)),
        next: (page < pages).then(|| query.link(page + 1)),
        actions: AuditAction::ALL
            .iter()
            .map(|a| Choice::new(a.as_str(), a.as_str(), a.as_str() == query.action))
            .collect(),
        entities: entities
            .iter()
            .map(|e| Choice::new(e, e, *e == query.entity))
            .collect(),
        people: people
            .iter()
            .map(|u| {
                Choice::new(
                    u.id,
                    format!("{} ({})", u.display_name, u.email),
                    u.id.to_string() == query.user.trim(),
                )
            })
            .collect(),
        record: &query.record,
        from: &query.from,
        to: &query.to,
    };
    render(
        "pages/admin/audit",
        &viewer_context("Audit trail", &nonce, &viewer, "/admin/audit", &view),
    )
}
