use super::OK;
use crate::config::Config;
use crate::dock::slots::Slots;
use crate::dock::{self, simulated};
use crate::station::Station;
use crate::web;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct RunArgs {}

/// Where `camdock demo` keeps its station unless `--data-dir` says otherwise.
const DEMO_DIR: &str = "camdock-demo";

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Stop by itself after this many seconds (default: run until Ctrl-C).
    #[arg(long, value_name = "SECONDS")]
    pub for_seconds: Option<u64>,
    /// How long each simulated camera stays in its dock.
    #[arg(long, default_value_t = 8)]
    pub dwell: u64,
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C), or after `limit`.
async fn shutdown_signal(limit: Option<Duration>) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler installs");
    let limit = async {
        match limit {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received"),
        _ = limit => tracing::info!("demo time is up"),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// The docks and, beside them, the dashboard; both stop on the same signal.
async fn run_station(
    station: Arc<Station>,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let addr = web::listen_addr(&station.config.web)?;
    let slots = Arc::new(Slots::new(Some(
        station.data_dir.join(dock::daemon::STATUS_FILE),
    )));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let web_task = addr.map(|addr| {
        let state = web::AppState::new(station.clone(), slots.clone());
        let mut rx = stop_rx.clone();
        tokio::spawn(async move {
            // The docks matter more than the dashboard: a failed web server is logged, not fatal.
            if let Err(e) = web::serve(state, addr, async move {
                let _ = rx.wait_for(|stop| *stop).await;
            })
            .await
            {
                tracing::error!("dashboard unavailable: {e:#}");
            }
        })
    });
    let docks = dock::serve(station, slots, shutdown).await;
    let _ = stop_tx.send(true);
    if let Some(task) = web_task {
        // Open event streams end with the server; give them a moment, not forever.
        let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
    }
    docks
}

pub fn run(config: Config, data_dir: Option<&Path>, _a: RunArgs) -> anyhow::Result<i32> {
    let station = Arc::new(Station::open(config, data_dir)?);
    runtime()?.block_on(run_station(station, shutdown_signal(None)))?;
    Ok(OK)
}

pub fn demo(mut config: Config, data_dir: Option<&Path>, a: DemoArgs) -> anyhow::Result<i32> {
    // The demo's own folder, in the working directory, made absolute like every other path.
    let data_dir: PathBuf = match data_dir {
        Some(d) => d.to_path_buf(),
        None => crate::paths::absolute(Path::new(DEMO_DIR))?,
    };
    config.station.id = "demo-station".into();
    config.dock.media_root = data_dir.join("media");
    config.dock.usb = false;
    let workshop = data_dir.join("workshop");
    let station = Arc::new(Station::open(config, Some(&data_dir))?);
    if !station.config.station.open {
        // A demo set open (a bench, the dashboard's browser test) stays without accounts.
        demo_accounts(&station)?;
    }
    tracing::info!(
        "demo: cameras dock under {} every few seconds; ledger and store in {}; try `camdock --data-dir {} fleet` in another terminal",
        station.config.dock.media_root.display(),
        data_dir.display(),
        data_dir.display()
    );
    let stop = Arc::new(AtomicBool::new(false));
    let simulator = {
        let (root, stop) = (station.config.dock.media_root.clone(), stop.clone());
        let dwell = Duration::from_secs(a.dwell);
        std::thread::spawn(move || {
            // Let the daemon start watching before the first camera arrives.
            std::thread::sleep(Duration::from_millis(500));
            if let Err(e) = simulated::run(&root, &workshop, dwell, stop) {
                tracing::error!("demo simulator stopped: {e:#}");
            }
        })
    };
    let result = runtime()?.block_on(run_station(
        station,
        shutdown_signal(a.for_seconds.map(Duration::from_secs)),
    ));
    stop.store(true, Ordering::SeqCst);
    let _ = simulator.join();
    result?;
    Ok(OK)
}

/// The demo's people: one account per role, made the first time the demo runs, so signing in,
/// asking for and approving access, and watching a clip can all be tried. The admin's password is
/// set and printed; the others' one-time secrets are printed, each replaced by its own password at
/// the first sign-in, as on a station.
fn demo_accounts(station: &Station) -> anyhow::Result<()> {
    use crate::people::{Role, accounts};
    if accounts::any(station)? {
        println!(
            "demo: the accounts of an earlier demo run are kept (admin, the first camera's officer number, manager, auditor, approver, reviewer)"
        );
        return Ok(());
    }
    // The admin signs in with its one-time secret and sets its password (a fresh random one,
    // printed below), as an admin does at install; then it adds the others.
    accounts::init_admin(station, "admin")?;
    let admin = accounts::get(station, "admin")?.expect("the admin was just made");
    let admin_password = accounts::one_time_secret();
    accounts::set_password(station, &admin, "admin", &admin_password)?;
    let admin = accounts::get(station, "admin")?.expect("the admin exists");
    let mut made = vec![(
        "admin",
        Role::Admin,
        format!("{admin_password}  (its password)"),
    )];
    // The officer's account is named by the officer number the first simulated camera writes, so
    // the gaps between its recordings are theirs to explain on the Review page.
    let officer = crate::dock::simulated::fleet()[0].officer.clone();
    for (name, role) in [
        (officer.as_str(), Role::Officer),
        ("manager", Role::EquipmentManager),
        ("auditor", Role::Auditor),
        ("approver", Role::Approver),
        ("reviewer", Role::Reviewer),
    ] {
        let secret = accounts::create(station, &admin, name, &[role])?;
        made.push((
            name,
            role,
            format!("{secret}  (one-time: set a password at the first sign-in)"),
        ));
    }
    println!(
        "demo accounts, one per role, for the dashboard at http://{}/:",
        station.config.web.listen
    );
    for (name, role, secret) in made {
        println!("  {name:<9} {:<18} {secret}", role.as_str());
    }
    Ok(())
}
