//! The tests that need no server: update sequences (`update`) and rendered frames (`render`).
//! One binary, so the crate is linked once for them.

mod render;
mod update;

use lockwatch_core::app::AppState;
use lockwatch_core::domain::connection::ConnectionInfo;
use lockwatch_core::keys::Keymap;
use ratatui::layout::Rect;

/// The state both suites start from: the default keymap, a plain local connection, a screen of
/// `width` × `height`.
fn app_state(width: u16, height: u16) -> AppState {
    AppState::new(
        Keymap::default_keymap(),
        ConnectionInfo {
            endpoint: "http://127.0.0.1:8333".into(),
            endpoint_source: None,
            region: "us-east-1".into(),
            path_style: true,
            access_key_masked: "****************262d".into(),
            credentials_source: "environment".into(),
            read_only: false,
            read_only_because: None,
            warnings: Vec::new(),
            sandbox: false,
            actor: Default::default(),
        },
        Rect::new(0, 0, width, height),
    )
}
