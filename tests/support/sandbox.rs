//! lockwatch's embedded sandbox as a test server: one per test binary, on its own runtime
//! thread so that it outlives every test's runtime.

use std::sync::OnceLock;

pub struct SandboxServer {
    pub endpoint: String,
}

pub fn sandbox() -> &'static SandboxServer {
    static SANDBOX: OnceLock<SandboxServer> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            runtime.block_on(async move {
                let started = lockwatch::sandbox::start_with_keys(
                    0,
                    lockwatch::sandbox::store::Limits::default(),
                    super::ACCESS_KEY,
                    super::SECRET_KEY,
                )
                .await;
                match started {
                    Ok(sandbox) => {
                        let _ = tx.send(Ok(sandbox.endpoint.clone()));
                        // Serve until the test binary exits.
                        std::future::pending::<()>().await;
                        drop(sandbox);
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                    }
                }
            });
        });
        match rx.recv() {
            Ok(Ok(endpoint)) => SandboxServer { endpoint },
            Ok(Err(e)) => panic!("cannot start the sandbox: {e}"),
            Err(e) => panic!("cannot start the sandbox: {e}"),
        }
    })
}
