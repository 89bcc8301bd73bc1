//! Signing in as a browser does, and a signed-in session's requests.

use super::TestApp;
use outcomes::domain::enums::Role;
use outcomes::domain::ids::UserId;
use outcomes::web::session::SESSION_COOKIE;

/// A user made by `create_user`, with the password they sign in with.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub email: String,
    pub password: String,
    pub role: Role,
    pub organisation_id: i64,
}

/// A signed-in browser: a client that sends the session cookie, and the CSRF token
/// the session's forms carry.
pub struct TestSession {
    pub client: reqwest::Client,
    pub cookie: String,
    pub csrf: String,
    pub(crate) address: String,
}

impl TestSession {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("the request is sent")
    }

    /// A form post with this session's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", &self.csrf));
        self.post_form_without_token(path, &fields).await
    }

    /// A multipart form for the upload page, its first field this session's CSRF token
    /// (the token is never put in the URL).
    pub fn upload_form(&self) -> reqwest::multipart::Form {
        reqwest::multipart::Form::new().text("csrf_token", self.csrf.clone())
    }

    /// Posts an upload (`form` from `upload_form`) to `/uploads`; when the page previews
    /// it with a "Confirm and import" form for the held file, confirms. Returns the last
    /// status and page, and the preview page if there was one.
    pub async fn upload_and_confirm(
        &self,
        form: reqwest::multipart::Form,
    ) -> (u16, String, Option<String>) {
        let res = self
            .client
            .post(format!("{}/uploads", self.address))
            .multipart(form)
            .send()
            .await
            .expect("the request is sent");
        let status = res.status().as_u16();
        let page = res.text().await.unwrap();
        let Some(id) = held_upload_in(&page) else {
            return (status, page, None);
        };
        let res = self.post_form("/uploads/confirm", &[("upload", &id)]).await;
        let status = res.status().as_u16();
        (status, res.text().await.unwrap(), Some(page))
    }

    /// A form post exactly as given (to prove that a missing token is refused).
    pub async fn post_form_without_token(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(format!("{}{}", self.address, path))
            .form(fields)
            .send()
            .await
            .expect("the request is sent")
    }
}

/// The id of the file a preview page holds (its confirm form's `upload` field).
pub fn held_upload_in(html: &str) -> Option<String> {
    let marker = "name=\"upload\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// Where a redirect goes.
pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// The TOTP key (base32) shown on the enrolment page, as bytes.
pub fn totp_secret_in(html: &str) -> Option<Vec<u8>> {
    let marker = "id=\"totp-secret\">";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('<')? + start;
    totp_rs::Secret::Encoded(html[start..end].to_string())
        .to_bytes()
        .ok()
}

/// A code an authenticator app would show now, for a step after `last` (a code works once,
/// and the service accepts the next step's code too).
pub fn code_for(secret: &[u8], last: Option<i64>) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let step = (now / 30) as i64;
    let step = if last.is_some_and(|l| l >= step) {
        step + 1
    } else {
        step
    };
    outcomes::domain::two_factor::code_at(secret, step as u64 * 30).unwrap()
}

/// The value of `name="csrf_token" value="..."` in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let start = html.find("name=\"csrf_token\" value=\"")? + "name=\"csrf_token\" value=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

pub fn no_redirect_client() -> reqwest::ClientBuilder {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none())
}

impl TestApp {
    /// Signs in through the real sign-in form, as a browser would, through every step the
    /// service asks for: the second factor (a code computed from the user's secret), its
    /// enrolment (reading the key off the page) and nothing else. A forced password change
    /// is left to the test (the session stays at that step).
    pub async fn login(&self, user: &TestUser) -> TestSession {
        let (res, client) = self.try_login(&user.email, &user.password).await;
        assert_eq!(res.status().as_u16(), 303, "signing in {}", user.email);
        let cookie = res
            .cookies()
            .find(|c| c.name() == SESSION_COOKIE)
            .expect("a session cookie")
            .value()
            .to_string();
        let mut next = location(&res);
        let mut steps = 0;
        while next == "/login/two-factor" || next == "/account/two-factor" {
            steps += 1;
            assert!(steps < 4, "sign-in goes round in circles");
            let page = client
                .get(format!("{}{next}", self.address))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = csrf_in(&page).expect("the step's form token");
            let code = if next == "/account/two-factor" {
                let secret = totp_secret_in(&page).expect("the key on the enrolment page");
                code_for(&secret, None)
            } else {
                let (secret, last) = self.totp_secret(user.id);
                code_for(&secret, last)
            };
            let res = client
                .post(format!("{}{next}", self.address))
                .form(&[("code", code.as_str()), ("csrf_token", &csrf)])
                .send()
                .await
                .unwrap();
            next = if res.status().as_u16() == 200 {
                // The recovery codes of a new enrolment, then on.
                "/".to_string()
            } else {
                assert_eq!(
                    res.status().as_u16(),
                    303,
                    "the code of {} was refused",
                    user.email
                );
                location(&res)
            };
        }
        let home = client
            .get(format!("{}/", self.address))
            .send()
            .await
            .unwrap();
        let csrf = csrf_in(&home.text().await.unwrap()).expect("the sign-out form's token");
        TestSession {
            client,
            cookie,
            csrf,
            address: self.address.clone(),
        }
    }

    /// The user's TOTP secret (decrypted with the test key) and the last step used.
    pub fn totp_secret(&self, user: i64) -> (Vec<u8>, Option<i64>) {
        let mut conn = self.db();
        let tf = outcomes::store::users::two_factor(&mut conn, UserId(user)).unwrap();
        let key = outcomes::domain::two_factor::derive_key(&hex::decode("22".repeat(32)).unwrap());
        let secret =
            outcomes::domain::two_factor::open(&key, &tf.sealed_secret.expect("a secret")).unwrap();
        (secret, tf.last_step)
    }

    /// One sign-in attempt from a fresh browser: returns the response and the browser.
    pub async fn try_login(
        &self,
        email: &str,
        password: &str,
    ) -> (reqwest::Response, reqwest::Client) {
        let client = no_redirect_client().cookie_store(true).build().unwrap();
        let page = client
            .get(format!("{}/login", self.address))
            .send()
            .await
            .unwrap();
        let token = csrf_in(&page.text().await.unwrap()).expect("the sign-in form's token");
        let res = client
            .post(format!("{}/login", self.address))
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .unwrap();
        (res, client)
    }

    /// A session made directly in the database (fast: no Argon2), for the access matrix.
    pub fn session_for(&self, user: &TestUser) -> TestSession {
        let mut conn = self.db();
        let s = outcomes::store::login_sessions::create(&mut conn, UserId(user.id)).unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::COOKIE,
            format!("{SESSION_COOKIE}={}", s.cookie_value)
                .parse()
                .unwrap(),
        );
        TestSession {
            client: no_redirect_client()
                .default_headers(headers)
                .build()
                .unwrap(),
            cookie: s.cookie_value,
            csrf: s.csrf_token,
            address: self.address.clone(),
        }
    }

    /// A GET with a bearer token.
    pub async fn get_with_token(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .bearer_auth(token)
            .send()
            .await
            .expect("the request is sent")
    }

    /// A session for a cookie value (e.g. one that has been signed out).
    pub fn session_with_cookie(&self, cookie: &str) -> TestSession {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::COOKIE,
            format!("{SESSION_COOKIE}={cookie}").parse().unwrap(),
        );
        TestSession {
            client: no_redirect_client()
                .default_headers(headers)
                .build()
                .unwrap(),
            cookie: cookie.to_string(),
            csrf: String::new(),
            address: self.address.clone(),
        }
    }
}
