//! `camdock hub …`: the bureau's hub, beside the stations, reading their ledgers from the bucket
//! (`[replica]`) into its PostgreSQL (`[hub] database`); and `camdock key`, a station's name and
//! checkpoint key for its enrolment.

use super::{OK, PROBLEM, emit};
use crate::config::Config;
use crate::hub::{self, Pass};
use crate::keys::HubKey;
use crate::replica::{block_on, s3::Bucket};
use crate::time::stamp_before;
use crate::usage;
use crate::web::bureau::{self, BureauState};
use camdock_hub::Projection;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: HubCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum HubCommand {
    /// Follow a station: its name in the bucket and its checkpoint key (`camdock key` at the
    /// station prints both), and its unit.
    Enrol {
        station: String,
        #[arg(long)]
        key: String,
        #[arg(long)]
        unit: String,
    },
    /// One pass over every enrolled station: new segments and checkpoints checked and loaded.
    Sync {
        #[arg(long)]
        json: bool,
        /// List every station's objects whole in this pass (as a sweep does every `[hub]
        /// sweep_every`), not only those after its cursor: before comparing a rebuild's digest.
        #[arg(long)]
        sweep: bool,
    },
    /// Passes every `[hub] every`, until stopped; with the dashboard on `[hub] listen` when set.
    Run,
    /// The hub's dashboard alone on `[hub] listen` (signed in with the accounts made in the hub's
    /// data directory: `camdock account init --data-dir`), until stopped.
    Serve,
    /// The alarms on record: what was found wrong, where, and what to do.
    Alarms {
        #[arg(long)]
        json: bool,
    },
    /// Empty the hub's database and make it again from the bucket alone.
    Rebuild {
        #[arg(long)]
        json: bool,
    },
    /// The bureau's fleet: every camera, where it was last docked and undocked, out or overdue
    /// judged across every station (`policy.overdue_after`).
    Fleet {
        /// Judge at this RFC 3339 instant instead of now.
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// A SHA-256 of every projection (a rebuild gives the hub's own).
    Digest,
    /// The hub's statement key (hex), for each station's `[hub] public_key`: what the hub signs
    /// its statements of cameras returned elsewhere with. Made in the data directory on first use.
    Key,
    /// An auditor's check from the bucket alone (no database, no station): every enrolment, every
    /// station's chain and checkpoints, every statement of returns against the chains; exit 1 and
    /// each discrepancy named when there is one.
    Audit {
        /// The hub's public key (as `camdock hub key` prints it), obtained from the bureau.
        #[arg(long)]
        hub_key: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args, Debug)]
pub struct KeyArgs {
    #[arg(long)]
    pub json: bool,
}

/// The station's name in the bucket and its checkpoint public key (hex), for its enrolment in the
/// bureau's hub. Reads the key; signs and records nothing.
pub fn key(config: Config, data_dir: Option<&Path>, a: KeyArgs) -> anyhow::Result<i32> {
    let station = super::open(config, data_dir)?;
    let public_key = hex::encode(station.key.signing_key().verifying_key().to_bytes());
    let shown = serde_json::json!({ "station": station.actor(), "public_key": public_key });
    emit(a.json, &shown, |_| {
        format!(
            "station {}\ncheckpoint key {public_key}\n(enrol it at the hub: camdock hub enrol {} --key {public_key} --unit UNIT)\n",
            station.actor(),
            station.actor()
        )
    })?;
    Ok(OK)
}

pub fn run(config: Config, data_dir: Option<&Path>, a: Args) -> anyhow::Result<i32> {
    let data_dir = data_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| config.station.data_dir.clone());
    // Only what signs (enrolments, statements) or shows the hub's key reads it.
    let key = match a.command {
        HubCommand::Enrol { .. }
        | HubCommand::Sync { .. }
        | HubCommand::Run
        | HubCommand::Rebuild { .. }
        | HubCommand::Key => Some(
            HubKey::load_or_create(&data_dir)
                .map_err(|e| {
                    usage!(
                        "cannot read or make the hub's key in {}: {e} (pass --data-dir)",
                        data_dir.display()
                    )
                })?
                .signing_key(),
        ),
        _ => None,
    };
    if let (HubCommand::Key, Some(key)) = (&a.command, &key) {
        println!("{}", hex::encode(key.verifying_key().to_bytes()));
        return Ok(OK);
    }
    if let HubCommand::Audit { hub_key, json } = &a.command {
        let hub_key = camdock_record::checkpoint::public_key_from_hex(hub_key).ok_or_else(|| {
            usage!("--hub-key is not an ed25519 public key in hex (64 digits, as `camdock hub key` prints it)")
        })?;
        let findings = block_on(|| async {
            hub::audit(&Bucket::connect(&config.replica).await, &hub_key).await
        })?;
        emit(*json, &findings, |list| {
            let mut text: String = list.iter().map(|f| format!("{f}\n")).collect();
            text.push_str(&format!("{} discrepancy(ies)\n", list.len()));
            text
        })?;
        return Ok(if findings.is_empty() { OK } else { PROBLEM });
    }
    if config.hub.database.trim().is_empty() {
        return Err(usage!(
            "the hub needs its database: set [hub] database to a libpq connection string (such as \"host=/run/postgresql dbname=camdock_hub\")"
        ));
    }
    if config.replica.bucket.trim().is_empty() && !matches!(a.command, HubCommand::Serve) {
        return Err(usage!(
            "the hub reads the stations' bucket: set [replica] endpoint, bucket and credentials as the stations have them"
        ));
    }
    let rules_of = config.hub.clone();
    let rules = || {
        hub::Rules::new(
            &rules_of,
            key.clone()
                .expect("read for every command that passes or enrols"),
        )
    };
    let key = &key;
    let rules = &rules;
    let dashboard = match a.command {
        HubCommand::Run | HubCommand::Serve => dashboard_addr(&config)?,
        _ => None,
    };
    if matches!(a.command, HubCommand::Serve) && dashboard.is_none() {
        return Err(usage!(
            "the hub's dashboard needs an address: set [hub] listen (such as \"127.0.0.1:8700\")"
        ));
    }
    let data_dir = &data_dir;
    let accounts_config = config.clone();
    block_on(|| async move {
        let mut serving = match dashboard {
            Some(addr) => {
                // Its own connection: the passes hold theirs in transactions.
                let views = bureau::Views::connect(&config.hub.database).await?;
                let listen = accounts_config.hub.listen.clone();
                let state = BureauState::open(accounts_config, data_dir, &listen, views)?;
                Some(tokio::spawn(bureau::serve(
                    state,
                    addr,
                    std::future::pending(),
                )))
            }
            None => None,
        };
        // The dashboard alone reads through its own connection: no passes, no bucket.
        if matches!(a.command, HubCommand::Serve) {
            let serving = serving.take().expect("refused without [hub] listen");
            return serving.await?.map(|()| OK);
        }
        let bucket = Bucket::connect(&config.replica).await;
        let mut db = Projection::connect(&config.hub.database).await?;
        match a.command {
            HubCommand::Enrol {
                station,
                key: station_key,
                unit,
            } => {
                let e = hub::enrol(
                    &bucket,
                    &db,
                    key.as_ref().expect("read for enrol"),
                    &station,
                    &unit,
                    &station_key,
                )
                .await?;
                println!("station {} of {} enrolled", e.station, e.unit);
                Ok(OK)
            }
            HubCommand::Sync { json, sweep } => {
                let rules = hub::Rules {
                    sweep_all: sweep,
                    ..rules()
                };
                report(json, &hub::sync(&bucket, &mut db, &rules).await?)
            }
            HubCommand::Rebuild { json } => {
                report(json, &hub::rebuild(&bucket, &mut db, &rules()).await?)
            }
            HubCommand::Run => {
                // Set when the last pass failed whole or for every station: the connection
                // may be open to a server that no longer takes writes (a demoted primary).
                let mut doubt = false;
                // Between tries while the database cannot be reached: doubling to a minute.
                let mut wait = std::time::Duration::from_secs(1);
                loop {
                    // The dashboard stopped (its address taken, its certificate unreadable): the
                    // hub stops with its reason rather than run on without it.
                    if serving.as_ref().is_some_and(|s| s.is_finished()) {
                        let served = serving.take().expect("finished").await?;
                        return served.map(|()| OK);
                    }
                    // A primary lost (a failover, a restart): connect again, to whichever server
                    // the connection string finds now (`target_session_attrs=read-write` over the
                    // nodes' hosts). A station's pass is one transaction, so nothing half-loaded
                    // stays, and the heads on the server say where to go on from.
                    if db.is_closed() || doubt {
                        match Projection::connect(&config.hub.database).await {
                            Ok(again) => {
                                tracing::info!("the hub's database is back");
                                db = again;
                                wait = std::time::Duration::from_secs(1);
                            }
                            Err(e) => {
                                tracing::warn!(
                                    "the hub's database cannot be reached (next try in {}): {e}",
                                    humantime::format_duration(wait)
                                );
                                tokio::time::sleep(wait).await;
                                wait = (wait * 2).min(std::time::Duration::from_secs(60));
                                continue;
                            }
                        }
                    }
                    match hub::sync(&bucket, &mut db, &rules()).await {
                        Ok(passes) => {
                            doubt = !passes.is_empty() && passes.iter().all(|p| p.failed.is_some());
                            for p in passes
                                .iter()
                                .filter(|p| p.events > 0 || !p.alarms.is_empty())
                            {
                                tracing::info!(station = %p.station, events = p.events, head = p.head, alarms = p.alarms.len(), "hub pass");
                            }
                            for p in passes.iter().filter(|p| p.failed.is_some()) {
                                tracing::warn!(station = %p.station, failed = ?p.failed, "hub pass failed for a station");
                            }
                        }
                        Err(e) => {
                            tracing::warn!("hub pass failed: {e:#}");
                            doubt = true;
                        }
                    }
                    tokio::time::sleep(config.hub.every).await;
                }
            }
            HubCommand::Serve => unreachable!("served above, refused without [hub] listen"),
            HubCommand::Alarms { json } => {
                let alarms = db.alarms().await?;
                emit(json, &alarms, |list| {
                    list.iter()
                        .map(|a| {
                            format!(
                                "{} {} {}: {}\n  {}\n",
                                a.raised_at, a.station, a.code, a.says, a.repair
                            )
                        })
                        .collect()
                })?;
                Ok(if alarms.is_empty() { OK } else { PROBLEM })
            }
            HubCommand::Fleet { at, json } => {
                let at =
                    super::instant_arg("--at", at.as_deref())?.unwrap_or_else(chrono::Utc::now);
                let cutoff = stamp_before(at, config.policy.overdue_after);
                let fleet = db.fleet(&cutoff).await?;
                emit(json, &fleet, |list| {
                    list.iter()
                        .map(|c| {
                            let battery = c
                                .health
                                .as_ref()
                                .and_then(|h| h.battery_percent)
                                .map_or("-".to_string(), |b| format!("{b}%"));
                            let clock = c
                                .clock
                                .as_ref()
                                .and_then(|k| k.offset_ms)
                                .map_or("-".to_string(), |o| format!("{:+.1} s", o as f64 / 1000.0));
                            let attention: Vec<&str> = c
                                .health
                                .as_ref()
                                .and_then(|h| h.attention.as_array())
                                .into_iter()
                                .flatten()
                                .filter_map(|a| a["code"].as_str())
                                .collect();
                            format!(
                                "{} docked {} at {}, undocked {} at {}, battery {battery}, clock {clock}{}{}\n",
                                c.camera,
                                c.docked_at.as_deref().unwrap_or("-"),
                                c.docked_station.as_deref().unwrap_or("-"),
                                c.undocked_at.as_deref().unwrap_or("-"),
                                c.undocked_station.as_deref().unwrap_or("-"),
                                if attention.is_empty() {
                                    String::new()
                                } else {
                                    format!(", attention: {}", attention.join(", "))
                                },
                                if c.overdue {
                                    "  OVERDUE"
                                } else if c.out {
                                    "  out"
                                } else {
                                    ""
                                }
                            )
                        })
                        .collect()
                })?;
                Ok(OK)
            }
            HubCommand::Digest => {
                println!("{}", db.digest().await?);
                Ok(OK)
            }
            HubCommand::Key | HubCommand::Audit { .. } => {
                unreachable!("answered before the database is opened")
            }
        }
    })
}

/// The dashboard's address from `[hub] listen` (None: not served), by a station's rule: beyond
/// loopback only with `[web] token`.
fn dashboard_addr(config: &Config) -> anyhow::Result<Option<std::net::SocketAddr>> {
    let listen = config.hub.listen.trim();
    if listen.is_empty() {
        return Ok(None);
    }
    let addr: std::net::SocketAddr = listen
        .parse()
        .map_err(|_| usage!("[hub] listen '{listen}' is not an address such as 127.0.0.1:8700"))?;
    if !addr.ip().is_loopback() && config.web.token.as_deref().is_none_or(|t| t.len() < 16) {
        return Err(usage!(
            "[hub] listen {addr} is beyond loopback: set [web] token (16 characters or more) as well, so that only the bureau's people reach its dashboard"
        ));
    }
    Ok(Some(addr))
}

fn report(json: bool, passes: &[Pass]) -> anyhow::Result<i32> {
    emit(json, &passes, |list| {
        list.iter()
            .map(|p| {
                let mut line = format!(
                    "{}: {} object(s) read, {} event(s) loaded, head {}, {} clip(s) not replicated yet{}\n",
                    p.station,
                    p.objects,
                    p.events,
                    p.head,
                    p.backlog,
                    p.returns_published
                        .map(|n| format!(", returns elsewhere published ({n})"))
                        .unwrap_or_default()
                );
                if let Some(why) = &p.failed {
                    line.push_str(&format!("  FAILED: {why}\n"));
                }
                for a in &p.alarms {
                    line.push_str(&format!("  ALARM {}: {a}\n", a.code()));
                }
                line
            })
            .collect()
    })?;
    Ok(
        if passes
            .iter()
            .any(|p| !p.alarms.is_empty() || p.failed.is_some())
        {
            PROBLEM
        } else {
            OK
        },
    )
}
