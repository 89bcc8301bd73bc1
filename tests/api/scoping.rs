//! Organisation scoping: a caseworker of provider B cannot read, list, count, change or
//! infer provider A's records through any page or API call; commissioners and analysts
//! see organisations but no participant-level rows; admins see everything.

use outcomes::domain::enums::{OrganisationKind, Role};

use crate::helpers::{spawn_app, TestApp};

struct World {
    app: TestApp,
    a_participant: i64,
    b_participant: i64,
    a: i64,
    b: i64,
}

async fn world() -> World {
    let app = spawn_app().await;
    let a = app.provider("Provider A");
    let b = app.provider("Provider B");
    let a_participant = app.add_participant(a, "A-SECRET-REF");
    app.add_participant(a, "A-OTHER-REF");
    let b_participant = app.add_participant(b, "B-REF");
    World {
        app,
        a_participant,
        b_participant,
        a,
        b,
    }
}

#[tokio::test]
async fn a_caseworker_of_provider_b_gets_the_same_404_for_provider_as_record_as_for_no_record() {
    let w = world().await;
    let user = w.app.create_user(Role::Caseworker, w.b);
    let token = w.app.bearer(&user);
    let session = w.app.session_for(&user);
    for via_token in [true, false] {
        let get = |path: String| {
            let (app, token, session) = (&w.app, &token, &session);
            async move {
                if via_token {
                    app.get_with_token(&path, token).await
                } else {
                    session.get(&path).await
                }
            }
        };
        let theirs = get(format!("/api/v1/participants/{}", w.a_participant)).await;
        let status = theirs.status().as_u16();
        let theirs = theirs.text().await.unwrap();
        let missing = get("/api/v1/participants/987654321".to_string()).await;
        assert_eq!(status, 404);
        assert_eq!(missing.status().as_u16(), 404);
        assert_eq!(
            theirs,
            missing.text().await.unwrap(),
            "nothing to tell them apart"
        );
        assert!(!theirs.contains("A-SECRET-REF"));

        let own = get(format!("/api/v1/participants/{}", w.b_participant)).await;
        assert_eq!(own.status().as_u16(), 200);
        let own: serde_json::Value = own.json().await.unwrap();
        assert_eq!(own["reference"], "B-REF");
        assert!(
            own.get("person_key").is_none(),
            "the key itself is never shown"
        );

        let list: serde_json::Value = get("/api/v1/participants".into())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["count"], 1, "counts leave other organisations out");
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        assert!(!list.to_string().contains("A-"));

        let orgs: serde_json::Value = get("/api/v1/organisations".into())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(orgs["count"], 1);
        assert_eq!(orgs["items"][0]["name"], "Provider B");
    }
    // Nor can they change anything: every admin action refuses them.
    let res = session
        .post_form(&format!("/admin/users/{}/deactivate", user.id), &[])
        .await;
    assert_eq!(res.status().as_u16(), 403);
}

#[tokio::test]
async fn commissioners_and_analysts_see_every_organisation_but_no_participant_rows() {
    let w = world().await;
    let opcc = w.app.org("OPCC", OrganisationKind::Commissioner);
    let vru = w.app.org("VRU", OrganisationKind::Vru);
    for (role, org) in [(Role::Commissioner, opcc), (Role::Analyst, vru)] {
        let token = w.app.bearer(&w.app.create_user(role, org));
        let orgs: serde_json::Value = w
            .app
            .get_with_token("/api/v1/organisations", &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(orgs["count"], 4, "{role:?}");
        for path in [
            "/api/v1/participants".to_string(),
            format!("/api/v1/participants/{}", w.a_participant),
        ] {
            let res = w.app.get_with_token(&path, &token).await;
            assert_eq!(res.status().as_u16(), 403, "{role:?} {path}");
        }
    }
}

#[tokio::test]
async fn admins_see_every_participant() {
    let w = world().await;
    let opcc = w.app.org("OPCC", OrganisationKind::Commissioner);
    let token = w.app.bearer(&w.app.create_user(Role::Admin, opcc));
    let list: serde_json::Value = w
        .app
        .get_with_token("/api/v1/participants", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["count"], 3);
    let one = w
        .app
        .get_with_token(&format!("/api/v1/participants/{}", w.a_participant), &token)
        .await;
    assert_eq!(one.status().as_u16(), 200);
    let _ = w.a;
}

#[test]
fn the_store_returns_nothing_outside_the_scope() {
    use outcomes::domain::access::Scope;
    use outcomes::domain::ids::{OrganisationId, ParticipantId};
    use outcomes::store::{participants, StoreError};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let w = rt.block_on(world());
    let mut conn = w.app.db();
    let b = Scope::Organisation(OrganisationId(w.b));
    assert!(matches!(
        participants::find(&mut conn, b, ParticipantId(w.a_participant)),
        Err(StoreError::NotFound)
    ));
    assert_eq!(participants::count(&mut conn, b, None).unwrap(), 1);
    assert_eq!(
        participants::count(&mut conn, Scope::Aggregate, None).unwrap(),
        0
    );
    assert_eq!(participants::count(&mut conn, Scope::All, None).unwrap(), 3);
    assert!(participants::list(&mut conn, Scope::Aggregate, None, 10, 0)
        .unwrap()
        .is_empty());
}
