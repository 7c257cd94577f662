//! `camdock account …` and `camdock approval …`, and how every command names who acts.
//!
//! On a station with accounts, the name a command is given (`--actor`, `--by`, `--as`) is an
//! account, proven by its password (`CAMDOCK_PASSWORD`, else asked at the terminal without echo,
//! else one line read from stdin) and allowed the act by its roles; acts on evidence need
//! `--approval ID` given by another account. A station without accounts (a bench, the demo) takes
//! names as typed, as before.

use super::{OK, emit, open};
use crate::config::Config;
use crate::people::approvals::{self, Use};
use crate::people::{Account, Act, Role, accounts};
use crate::printable::text;
use crate::station::Station;
use crate::usage;
use std::fmt::Write;
use std::io::IsTerminal;
use std::path::Path;

/// The account `name`, signed in with its password, or a refusal that says how.
pub fn sign_in(station: &Station, name: Option<&str>) -> anyhow::Result<Account> {
    let name = name.map(str::trim).filter(|n| !n.is_empty()).ok_or_else(|| {
        usage!("this station has accounts: name yours (--as NAME, or --actor/--by NAME) and give its password in CAMDOCK_PASSWORD or on stdin")
    })?;
    let password = match std::env::var("CAMDOCK_PASSWORD") {
        Ok(p) => p,
        // At a terminal: asked for, never echoed.
        Err(_) if std::io::stdin().is_terminal() => {
            rpassword::prompt_password(format!("password for {name}: "))?
        }
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    accounts::authenticate(station, name, &password)?.ok_or_else(|| {
        usage!("wrong account or password for '{name}' (or the account is disabled)")
    })
}

/// A new password: CAMDOCK_NEW_PASSWORD, or at a terminal asked for twice, never echoed.
fn new_password(name: &str) -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("CAMDOCK_NEW_PASSWORD") {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        return Err(usage!(
            "give the new password in CAMDOCK_NEW_PASSWORD (or run this at a terminal)"
        ));
    }
    let first = rpassword::prompt_password(format!("new password for {name}: "))?;
    let again = rpassword::prompt_password("the same again: ")?;
    if first != again {
        return Err(usage!("the two new passwords differ; nothing changed"));
    }
    Ok(first)
}

/// Who acts, for the ledger's actor field: on a station with accounts, the signed-in account
/// allowed `act`; else the name as given, or the station's own.
pub fn actor(station: &Station, given: Option<&str>, act: Act) -> anyhow::Result<String> {
    if !accounts::any(station)? {
        return Ok(given
            .map(str::to_string)
            .unwrap_or_else(|| station.actor().to_string()));
    }
    let account = sign_in(station, given)?;
    account.require(act)?;
    Ok(account.name)
}

/// The approver and reason of an act on evidence. With accounts: approval `id`, asked by the
/// signed-in `actor` for exactly this, decided by someone else, unexpired, spent now. Without:
/// the typed approver and reason (a bench station).
pub fn approval(
    station: &Station,
    actor: &str,
    id: Option<i64>,
    act: Use,
    target: &approvals::Target<'_>,
    typed: (Option<&str>, Option<&str>),
) -> anyhow::Result<Option<Granted>> {
    if !accounts::any(station)? {
        refuse_unless_open(station, act.as_str())?;
        return Ok(match typed {
            (Some(who), Some(why)) => Some(Granted {
                by: who.to_string(),
                reason: why.to_string(),
                clips: None,
                review: None,
            }),
            _ => None,
        });
    }
    let id = id.ok_or_else(|| {
        usage!("on this station a {} of evidence needs --approval ID: ask with `camdock approval request`, another account approves", act.as_str())
    })?;
    let who = accounts::get(station, actor)?.ok_or_else(|| usage!("no account '{actor}'"))?;
    let a = approvals::spend(station, &who, id, act, target)?;
    Ok(Some(Granted {
        by: format!("{} (approval #{id})", a.decided_by.unwrap_or_default()),
        reason: a.reason,
        clips: a.clips,
        review: a.review,
    }))
}

/// On a station with no accounts yet, an act on evidence (view, copy, export, purge) needs the
/// station set open (a demo, a bench): otherwise anyone who types a name would approve it.
pub fn refuse_unless_open(station: &Station, act: &str) -> anyhow::Result<()> {
    if station.config.station.open {
        return Ok(());
    }
    Err(usage!(
        "this station has no accounts yet, and a {act} of evidence needs an approval by another account: an admin creates the first account with `camdock account init` (`[station] open = true` takes a typed --approved-by instead, for a demo or a bench only)"
    ))
}

/// An act on evidence granted: by whom (the approver, or the typed name on a bench station), why,
/// and the clips the approval named (None where it named none: a bench station, an old request).
pub struct Granted {
    pub by: String,
    pub reason: String,
    pub clips: Option<Vec<String>>,
    /// The spot check the approved view was asked for.
    pub review: Option<i64>,
}

#[derive(clap::Args, Debug)]
pub struct AccountArgs {
    #[command(subcommand)]
    pub command: AccountCommand,
    /// The account doing this (an admin; for `password`, the account itself).
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub as_account: Option<String>,
}

#[derive(clap::Subcommand, Debug)]
pub enum AccountCommand {
    /// At install: the station's first account, an admin; prints its one-time secret.
    Init { name: String },
    /// Add an account with roles; prints its one-time secret.
    Add {
        name: String,
        #[arg(long = "role", required = true, value_name = "ROLE")]
        roles: Vec<String>,
    },
    /// Set your own password (after a one-time secret; the new one in CAMDOCK_NEW_PASSWORD, or
    /// asked twice at a terminal), or as an admin reset someone else's: the station prints a fresh
    /// one-time secret to hand over.
    Password { name: Option<String> },
    /// Change an account's roles.
    Roles {
        name: String,
        #[arg(long = "role", required = true, value_name = "ROLE")]
        roles: Vec<String>,
    },
    /// Disable an account for good (never deleted).
    Disable {
        name: String,
        #[arg(long)]
        reason: String,
    },
    /// Every account and its roles.
    List {
        #[arg(long)]
        json: bool,
    },
}

fn roles(given: &[String]) -> anyhow::Result<Vec<Role>> {
    given
        .iter()
        .flat_map(|r| r.split(','))
        .map(|r| {
            Role::parse(r)
                .ok_or_else(|| usage!("role '{r}': one of {}", accounts::roles_text(&Role::ALL)))
        })
        .collect()
}

pub fn account(config: Config, data_dir: Option<&Path>, a: AccountArgs) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let by = || sign_in(&station, a.as_account.as_deref());
    match a.command {
        AccountCommand::Init { name } => {
            let secret = accounts::init_admin(&station, &name)?;
            println!("admin account '{name}' created; its one-time secret (shown once): {secret}");
            println!(
                "sign in with it and choose a password: CAMDOCK_PASSWORD=… CAMDOCK_NEW_PASSWORD=… camdock account password --as {name}"
            );
        }
        AccountCommand::Add { name, roles: r } => {
            let secret = accounts::create(&station, &by()?, &name, &roles(&r)?)?;
            println!("account '{name}' created; its one-time secret (shown once): {secret}");
        }
        AccountCommand::Password { name } => {
            let by = by()?;
            match name.filter(|n| *n != by.name) {
                Some(other) => {
                    let secret = accounts::reset(&station, &by, &other)?;
                    println!(
                        "password of '{other}' reset; its one-time secret (shown once): {secret}"
                    );
                }
                None => {
                    let new = new_password(&by.name)?;
                    accounts::set_password(&station, &by, &by.name, &new)?;
                    println!("password of '{}' set", by.name);
                }
            }
        }
        AccountCommand::Roles { name, roles: r } => {
            accounts::set_roles(&station, &by()?, &name, &roles(&r)?)?;
            println!("roles of '{name}' set");
        }
        AccountCommand::Disable { name, reason } => {
            accounts::disable(&station, &by()?, &name, &reason)?;
            println!("account '{name}' disabled");
        }
        AccountCommand::List { json } => {
            by()?.require(Act::ManageAccounts)?;
            let all = accounts::list(&station)?;
            emit(json, &all, |all| {
                let mut s = String::new();
                for a in all {
                    let _ = writeln!(
                        s,
                        "{:<20} {:<40} {}",
                        a.name,
                        accounts::roles_text(&a.roles),
                        if a.disabled { "disabled" } else { "" }
                    );
                }
                s
            })?;
        }
    }
    Ok(OK)
}

#[derive(clap::Args, Debug)]
pub struct ApprovalArgs {
    #[command(subcommand)]
    pub command: ApprovalCommand,
    /// The account doing this.
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub as_account: Option<String>,
}

#[derive(clap::Subcommand, Debug)]
pub enum ApprovalCommand {
    /// Ask to view, copy, export or purge evidence; prints the request's id.
    Request {
        /// view, copy, export or purge.
        act: String,
        #[arg(long)]
        clip: Option<String>,
        #[arg(long)]
        case: Option<String>,
        #[arg(long)]
        reason: String,
        /// For an export: how many copies the approver allows.
        #[arg(long, default_value_t = 1)]
        copies: u32,
        /// For a view: the spot check (draw number) the clip was drawn in.
        #[arg(long)]
        review: Option<i64>,
    },
    /// Approve someone else's request.
    Approve {
        id: i64,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Refuse someone else's request.
    Refuse {
        id: i64,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Requests: all of them for an approver or auditor, else your own.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub fn approval_command(
    config: Config,
    data_dir: Option<&Path>,
    a: ApprovalArgs,
) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    if !accounts::any(&station)? {
        return Err(usage!(
            "approvals are between accounts: this station has none yet (`camdock account init`)"
        ));
    }
    let by = sign_in(&station, a.as_account.as_deref())?;
    let show = |x: &approvals::Approval| {
        let state = match x.approved {
            None => "pending".to_string(),
            Some(true) => format!(
                "approved by {} until {}",
                x.decided_by.as_deref().unwrap_or(""),
                x.expires_at.as_deref().unwrap_or("")
            ),
            Some(false) => format!("refused by {}", x.decided_by.as_deref().unwrap_or("")),
        };
        let target = x
            .sha256
            .clone()
            .or_else(|| x.case.clone().map(|c| format!("case {c}")))
            .unwrap_or_default();
        // What the approver approves: the clips named at the request, not what the case holds by
        // the time the act is done.
        let target = match &x.clips {
            Some(clips) if x.sha256.is_none() => format!("{target} ({} clip(s))", clips.len()),
            _ => target,
        };
        // The reason, the case and the names are typed by people: printed so none can redraw
        // what an approver reads before deciding.
        format!(
            "#{} {} {} by {}: {} — {}\n",
            x.id,
            x.act,
            text(&target),
            text(&x.requested_by),
            text(&x.reason),
            text(&state)
        )
    };
    match a.command {
        ApprovalCommand::Request {
            act,
            clip,
            case,
            reason,
            copies,
            review,
        } => {
            let act =
                Use::parse(&act).ok_or_else(|| usage!("'{act}': view, copy, export or purge"))?;
            let sha = clip
                .map(|c| station.ledger().resolve_clip(&c).map_err(|e| usage!("{e}")))
                .transpose()?;
            let id = approvals::request(
                &station,
                &by,
                &approvals::Ask {
                    act,
                    clip: sha.as_deref(),
                    case: case.as_deref(),
                    reason: &reason,
                    copies,
                    review,
                },
            )?;
            println!("request #{id} made; another account with the approver role decides it");
        }
        ApprovalCommand::Approve { id, note } => print!(
            "{}",
            show(&approvals::decide(&station, &by, id, true, &note)?)
        ),
        ApprovalCommand::Refuse { id, note } => print!(
            "{}",
            show(&approvals::decide(&station, &by, id, false, &note)?)
        ),
        ApprovalCommand::List { json } => {
            let all = approvals::list(&station, &by)?;
            emit(json, &all, |all| all.iter().map(show).collect())?;
        }
    }
    Ok(OK)
}
