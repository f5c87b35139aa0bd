//! Headless Chromium for the browser test, driven over the Chrome DevTools
//! Protocol (one WebSocket, flat sessions): open a page, evaluate JavaScript
//! in it, take a screenshot. The browser is killed when [`Browser`] drops.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Longest wait for the browser to start or answer one command. Chromium's
/// start took over 30 s on the 2-core CI machine at load average 15.
pub const CDP_WAIT: Duration = Duration::from_secs(120);

/// Names the Chromium binary goes by.
const BINARIES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// The Chromium binary on `PATH`, if any.
pub fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| BINARIES.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// A running headless browser and its DevTools connection.
pub struct Browser {
    _child: Child,
    _profile: tempfile::TempDir,
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl Browser {
    /// Starts `binary` headless with a fresh profile, `width` x `height`.
    pub async fn start(binary: &PathBuf, width: u32, height: u32) -> Self {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                &format!("--window-size={width},{height}"),
                &format!("--user-data-dir={}", profile.path().display()),
                "about:blank",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("starting chromium");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = tokio::time::timeout(CDP_WAIT, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    return url.trim().to_owned();
                }
            }
            panic!("chromium exited before listening for DevTools");
        })
        .await
        .expect("chromium did not start in time");
        // Keep draining stderr so the browser never blocks on it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let (socket, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .expect("connecting to DevTools");
        Self {
            _child: child,
            _profile: profile,
            socket,
            next_id: 0,
        }
    }

    /// Sends one command (to `session`, or the browser) and returns its result.
    pub async fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        let reply = self.call_raw(session, method, params).await;
        assert!(reply["error"].is_null(), "{method}: {}", reply["error"]);
        reply["result"].clone()
    }

    /// Sends one command and returns the whole reply, error or result.
    async fn call_raw(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            command["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::text(command.to_string()))
            .await
            .expect("sending to DevTools");
        tokio::time::timeout(CDP_WAIT, async {
            loop {
                let message = self.socket.next().await.expect("DevTools closed").unwrap();
                let Message::Text(text) = message else {
                    continue;
                };
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["id"] == json!(id) {
                    return value;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{method}: no answer within {CDP_WAIT:?}"))
    }

    /// Opens a new tab at `url`; returns its session.
    pub async fn open(&mut self, url: &str) -> String {
        let target = self
            .call(None, "Target.createTarget", json!({"url": url}))
            .await;
        let attached = self
            .call(
                None,
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
            )
            .await;
        attached["sessionId"].as_str().unwrap().to_owned()
    }

    /// The value of `expression` in `session`'s page (promises awaited).
    pub async fn eval(&mut self, session: &str, expression: &str) -> Value {
        self.try_eval(session, expression)
            .await
            .unwrap_or_else(|why| panic!("{expression}: {why}"))
    }

    /// [`Browser::eval`], or why not (the page is between documents, or the
    /// expression threw).
    pub async fn try_eval(&mut self, session: &str, expression: &str) -> Result<Value, String> {
        let params = json!({"expression": expression, "returnByValue": true, "awaitPromise": true});
        let reply = self
            .call_raw(Some(session), "Runtime.evaluate", params)
            .await;
        if !reply["error"].is_null() {
            return Err(reply["error"].to_string());
        }
        let result = &reply["result"];
        if !result["exceptionDetails"].is_null() {
            return Err(result["exceptionDetails"].to_string());
        }
        Ok(result["result"]["value"].clone())
    }

    /// A PNG of `session`'s page as shown.
    pub async fn screenshot(&mut self, session: &str) -> Vec<u8> {
        let shot = self
            .call(
                Some(session),
                "Page.captureScreenshot",
                json!({"format": "png"}),
            )
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap()
    }
}
