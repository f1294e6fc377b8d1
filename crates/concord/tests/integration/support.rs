//! Test support: a real server on port 0 with a fresh store, and an HTTP client that keeps cookies.

use std::sync::Arc;

use concord_domain::auth::Principal;
use concord_marc::RecordOffset;
use concord_server::Context;
use concord_server::clock::{Clock, SystemClock};
use concord_server::http::{self, AppState};
use concord_server::i18n::Messages;
use concord_server::service::accounts::{self, StaffInput};
use concord_server::service::orgfile;
use concord_server::service::search::CatalogueSearch;
use concord_store::{Store, StoreConfig};
use serde_json::Value;

/// A running server with its own store. Dropping it stops the server.
pub struct TestServer {
    pub base: String,
    pub ctx: Arc<Context>,
    /// Where the store is, so that a second server can share it.
    pub config: StoreConfig,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Which engine a test runs on. SQLite always; PostgreSQL when the test script started one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The engines available to this run.
pub fn engines() -> Vec<Engine> {
    let mut engines = vec![Engine::Sqlite];
    if std::env::var(concord_store::testing::POSTGRES_URL_VAR).is_ok_and(|v| !v.is_empty()) {
        engines.push(Engine::Postgres);
    }
    engines
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_on(Engine::Sqlite).await
    }

    pub async fn start_on(engine: Engine) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let config = match engine {
            Engine::Sqlite => StoreConfig::Sqlite {
                data_dir: dir.path().to_path_buf(),
                synchronous_full: false,
            },
            Engine::Postgres => {
                let admin = std::env::var(concord_store::testing::POSTGRES_URL_VAR).unwrap();
                let url = concord_store::testing::fresh_postgres_database(&admin)
                    .await
                    .unwrap();
                StoreConfig::Postgres {
                    url,
                    max_connections: 8,
                }
            }
        };
        TestServer::serve(config, dir).await
    }

    /// A second server on the same store with its own, empty search index (as a second
    /// machine behind a load balancer would have).
    pub async fn second_server(&self) -> TestServer {
        TestServer::serve(self.config.clone(), tempfile::tempdir().unwrap()).await
    }

    async fn serve(config: StoreConfig, dir: tempfile::TempDir) -> TestServer {
        let store = Store::open(&config).await.unwrap();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let search = CatalogueSearch::open(&dir.path().join("search-index")).unwrap();
        let ctx = Arc::new(Context::new(store, clock, 12).unwrap().with_search(search));
        let state = Arc::new(AppState {
            ctx: Arc::clone(&ctx),
            messages: Messages::english().unwrap(),
            secure_cookies: false,
            site: Default::default(),
            view_answers: Default::default(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            http::serve(listener, state, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestServer {
            base,
            ctx,
            config,
            _dir: dir,
            shutdown: Some(tx),
        }
    }

    /// Loads an organisation file as the operator.
    pub async fn load_org(&self, toml: &str) {
        orgfile::load(&self.ctx, &Principal::Operator, toml)
            .await
            .unwrap();
    }

    /// Creates a staff account with one role; the password is `<username>-password`.
    pub async fn staff(&self, username: &str, role: &str, scope: &str) {
        let input = StaffInput {
            username: username.into(),
            display_name: format!("{username} person"),
            password: format!("{username}-password"),
            grants: vec![(role.into(), scope.into())],
        };
        accounts::create_staff(&self.ctx, &Principal::Operator, &input)
            .await
            .unwrap();
    }

    /// A client logged in as staff, with the session's anti-forgery token.
    pub async fn staff_client(&self, username: &str) -> Client {
        let client = Client::new(self);
        let response = client
            .post_json("/api/v1/session", &serde_json::json!({"username": username, "password": format!("{username}-password")}))
            .await;
        assert_eq!(response.status, 200, "login {username}: {}", response.body);
        Client {
            csrf: response.json()["csrf_token"].as_str().map(str::to_string),
            ..client
        }
    }
}

/// A patron's sign-in with card and PIN: its status, a client with the session (and its
/// anti-forgery token when it succeeded), and the reply's body.
pub async fn patron_client(
    server: &TestServer,
    card: &str,
    pin: &str,
) -> (u16, Client, serde_json::Value) {
    let client = Client::new(server);
    let reply = client
        .post_json(
            "/api/v1/patron-session",
            &serde_json::json!({"card": card, "pin": pin}),
        )
        .await;
    let body: serde_json::Value =
        serde_json::from_str(&reply.body).unwrap_or(serde_json::Value::Null);
    let client = Client {
        csrf: body["csrf_token"].as_str().map(str::to_string),
        ..client
    };
    (reply.status, client, body)
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Two members (SHIRE, ROHAN), each with two branches, for tests that need an organisation.
pub const TWO_MEMBERS: &str = r##"
[consortium]
code = "TEST"
name = "Test Consortium"

[[members]]
code = "SHIRE"
name = "Shire Libraries"
kind = "public"
colour = "#2e6b30"
  [[members.branches]]
  code = "SHIRE-CEN"
  name = "Shire Central"
  pickup = true
  hours = { monday = "09:00-17:00", tuesday = "09:00-17:00" }
  [[members.branches]]
  code = "SHIRE-HOB"
  name = "Hobbiton"

[[members]]
code = "ROHAN"
name = "Rohan University Library"
kind = "academic"
  [[members.branches]]
  code = "ROHAN-MAIN"
  name = "Edoras Main Library"
  pickup = true
  [[members.branches]]
  code = "ROHAN-LAW"
  name = "Law Library"
"##;

/// A response, read whole.
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

/// An HTTP client with its own cookie jar.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
}

impl Client {
    pub fn new(server: &TestServer) -> Client {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Client {
            http,
            base: server.base.clone(),
            csrf: None,
            bearer: None,
        }
    }

    fn decorate(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let request = match &self.csrf {
            Some(token) => request.header("x-csrf-token", token),
            None => request,
        };
        match &self.bearer {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = self.decorate(request).send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        Reply {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send(self.http.post(format!("{}{path}", self.base)).json(body))
            .await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Reply {
        self.send(self.http.put(format!("{}{path}", self.base)).json(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(self.http.delete(format!("{}{path}", self.base)))
            .await
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        self.send(self.http.post(format!("{}{path}", self.base)).form(fields))
            .await
    }
}

/// The value of `name="csrf"` in a page.
pub fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .expect("a csrf field");
    html[start..].split('"').next().unwrap().to_string()
}

impl Client {
    /// Posts a text body (a TOML file).
    pub async fn send_text(&self, path: &str, text: &str) -> Reply {
        self.send(
            self.http
                .post(format!("{}{path}", self.base))
                .header("content-type", "text/plain")
                .body(text.to_string()),
        )
        .await
    }
}

/// Imports a MARC file's bytes (any format the readers detect) for `member`, items placed by
/// `mapping`, as the import command does.
pub async fn import_marc(
    server: &TestServer,
    member: &str,
    bytes: &[u8],
    mapping: &concord_domain::catalogue::holdings::HoldingsMapping,
    invalid_text: concord_marc::InvalidText,
) -> concord_server::service::catalogue::ImportSummary {
    let records =
        concord_marc::read_any_with_options(bytes, concord_marc::ReadOptions { invalid_text })
            .unwrap();
    concord_server::service::catalogue::import(
        &server.ctx,
        &Principal::Operator,
        records.with_offsets(),
        &concord_server::service::catalogue::ImportOptions {
            member_code: member,
            mapping,
            batch_size: 100,
            file_name: "test",
        },
        |_| {},
        |_| {},
    )
    .await
    .unwrap()
}

/// Waits until the search index has applied every logged catalogue change (failing after two
/// minutes). The stopwatch bounds the wait; it is not a business "now".
#[allow(clippy::disallowed_methods)]
pub async fn wait_for_index(server: &TestServer) {
    let started = std::time::Instant::now();
    loop {
        let mut conn = server.ctx.store.read().await.unwrap();
        let newest = concord_store::catalogue::max_change_seq(&mut conn)
            .await
            .unwrap();
        drop(conn);
        if server.ctx.search.applied_change_seq().unwrap() >= newest {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "the index did not catch up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Adds an available book item with call number "CALL {barcode}" to `bib` at `branch`, hidden
/// from other members when `hidden`.
pub async fn add_item(
    server: &TestServer,
    bib: concord_domain::ids::BibId,
    barcode: &str,
    branch: &str,
    hidden: bool,
) {
    add_copy(server, bib, barcode, branch, "available", hidden).await;
}

/// Adds a copy of `bib` on the shelf at `branch`, at shelving location `location` under
/// `call_number`; the item.
pub async fn add_shelved_copy(
    server: &TestServer,
    bib: concord_domain::ids::BibId,
    barcode: &str,
    branch: &str,
    location: &str,
    call_number: &str,
) -> concord_store::catalogue::ItemRow {
    add_item_as(
        server,
        bib,
        concord_server::service::catalogue::ItemInput {
            barcode: barcode.into(),
            branch: branch.into(),
            call_number: call_number.into(),
            shelving_location: location.into(),
            ..copy_input()
        },
    )
    .await
}

/// A book on the shelf, to fill in.
fn copy_input() -> concord_server::service::catalogue::ItemInput {
    concord_server::service::catalogue::ItemInput {
        item_type: "BOOK".into(),
        status: "available".into(),
        ..Default::default()
    }
}

/// Adds the item `input` describes to `bib`, as the operator.
async fn add_item_as(
    server: &TestServer,
    bib: concord_domain::ids::BibId,
    input: concord_server::service::catalogue::ItemInput,
) -> concord_store::catalogue::ItemRow {
    concord_server::service::catalogue::add_item(&server.ctx, &Principal::Operator, bib, &input)
        .await
        .unwrap()
}

/// Adds a copy of `bib` at `branch` with the item status `status`, kept out of other members'
/// views when `hidden`.
pub async fn add_copy(
    server: &TestServer,
    bib: concord_domain::ids::BibId,
    barcode: &str,
    branch: &str,
    status: &str,
    hidden: bool,
) {
    add_item_as(
        server,
        bib,
        concord_server::service::catalogue::ItemInput {
            barcode: barcode.into(),
            branch: branch.into(),
            call_number: format!("CALL {barcode}"),
            status: status.into(),
            hidden_from_other_members: hidden,
            ..copy_input()
        },
    )
    .await;
}
