//! Accounts: the people a station knows, each with roles and an argon2 password hash. Accounts
//! are disabled, never deleted; every change is a ledger event in the same transaction as its
//! row, so the ledger's actors are account names with a history behind them.
//!
//! A station has no accounts until its admin is created at install (`camdock account init`),
//! which prints a one-time secret: whoever signs in with a one-time secret must choose a password
//! before anything else.

use super::role::{Act, Role};
use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use crate::usage;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use camdock_record::detail::{
    AccountChangedDetail, AccountCreatedDetail, AccountDisabledDetail, ApprovalsVoidedDetail,
};
use rusqlite::OptionalExtension;
use serde::Serialize;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub roles: Vec<Role>,
    pub disabled: bool,
    /// Signed in with a one-time secret: only a password change is allowed until then.
    pub must_change_password: bool,
    /// The ledger event that last changed the account: a session signed in before a later one
    /// (a password set or reset, roles changed, disabled — from the dashboard or the CLI) ends.
    #[serde(skip)]
    pub version: i64,
}

impl Account {
    pub fn may(&self, act: Act) -> bool {
        act.public() || (!self.disabled && !self.must_change_password && act.allowed(&self.roles))
    }

    /// Refuses, naming the account and what it lacks, unless it may do `act`.
    pub fn require(&self, act: Act) -> anyhow::Result<()> {
        if self.may(act) {
            return Ok(());
        }
        if self.must_change_password {
            return Err(usage!(
                "account '{}' signed in with a one-time secret: set a password first",
                self.name
            ));
        }
        Err(usage!(
            "account '{}' ({}) may not {}",
            self.name,
            roles_text(&self.roles),
            act.describe()
        ))
    }
}

pub fn roles_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A secret to be read once: 24 random characters.
pub fn one_time_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 18];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut rand_core::OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))?
        .to_string())
}

/// An admin keeps the accounts and decides nothing on evidence: an account holding the admin
/// role holds it alone (else one person could add an account and approve as it).
fn valid_roles(roles: &[Role]) -> anyhow::Result<()> {
    if roles.contains(&Role::Admin) && roles.len() > 1 {
        return Err(usage!(
            "an admin account holds the admin role alone (the admin decides nothing on evidence): give {} to another account",
            roles_text(
                &roles
                    .iter()
                    .copied()
                    .filter(|r| *r != Role::Admin)
                    .collect::<Vec<_>>()
            )
        ));
    }
    Ok(())
}

fn valid_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(usage!(
            "account name '{name}': use 1-64 letters, digits, '.', '_' or '-'"
        ))
    }
}

/// Whether the station has any account: from then on, every act needs one. Asked of the events
/// (an account was ever created), so emptying the `accounts` table does not open the station.
pub fn any(station: &Station) -> anyhow::Result<bool> {
    Ok(station.ledger().conn().query_row(
        "SELECT EXISTS(SELECT 1 FROM events WHERE kind = ?1)",
        [EventKind::AccountCreated.as_str()],
        |r| r.get(0),
    )?)
}

/// The account as its events make it (roles, disabled, a one-time secret to change): the
/// `accounts` row is read for its password hash only, so clearing a disabled mark or adding a
/// role in the table changes nothing.
pub fn get(station: &Station, name: &str) -> anyhow::Result<Option<Account>> {
    let people = crate::ledger::replay::accounts(station.ledger().conn())?;
    people
        .accounts
        .get(name)
        .map(|a| {
            Ok(Account {
                name: a.name.clone(),
                roles: a
                    .roles
                    .iter()
                    .map(|r| serde_json::from_value(serde_json::Value::String(r.clone())))
                    .collect::<Result<_, _>>()?,
                disabled: a.disabled_seq.is_some(),
                must_change_password: a.must_change,
                version: a.changed_seq,
            })
        })
        .transpose()
}

pub fn list(station: &Station) -> anyhow::Result<Vec<Account>> {
    let names: Vec<String> = {
        let ledger = station.ledger();
        let mut stmt = ledger
            .conn()
            .prepare("SELECT name FROM accounts ORDER BY name")?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    names
        .iter()
        .filter_map(|n| get(station, n).transpose())
        .collect()
}

/// The first account, made at install: an admin with a one-time secret (returned, shown once).
pub fn init_admin(station: &Station, name: &str) -> anyhow::Result<String> {
    valid_name(name)?;
    if any(station)? {
        return Err(usage!(
            "this station already has accounts: an admin adds the next one (`camdock account add`)"
        ));
    }
    let secret = one_time_secret();
    insert(
        station,
        station.actor(),
        name,
        &[Role::Admin],
        &secret,
        "install",
    )?;
    Ok(secret)
}

/// Adds an account with a one-time secret (returned, shown once), as `by`, who manages accounts.
pub fn create(
    station: &Station,
    by: &Account,
    name: &str,
    roles: &[Role],
) -> anyhow::Result<String> {
    by.require(Act::ManageAccounts)?;
    valid_name(name)?;
    valid_roles(roles)?;
    if roles.is_empty() {
        return Err(usage!(
            "an account needs at least one role ({})",
            roles_text(&Role::ALL)
        ));
    }
    if get(station, name)?.is_some() {
        return Err(usage!(
            "account '{name}' exists (accounts are never deleted, so names are never reused)"
        ));
    }
    let secret = one_time_secret();
    insert(station, &by.name, name, roles, &secret, "admin")?;
    Ok(secret)
}

fn insert(
    station: &Station,
    by: &str,
    name: &str,
    roles: &[Role],
    secret: &str,
    how: &str,
) -> anyhow::Result<()> {
    let hashed = hash(secret)?;
    station.ledger().write(|w| {
        let seq = w.append(NewEvent::new(EventKind::AccountCreated, by).typed(
            &AccountCreatedDetail {
                account: name.into(),
                roles: roles.iter().map(|r| r.as_str().to_string()).collect(),
                how: how.into(),
                one_time_secret: true,
            },
        ))?;
        w.tx().execute(
            "INSERT INTO accounts(name, roles, password_hash, must_change, created_seq) VALUES (?1, ?2, ?3, 1, ?4)",
            rusqlite::params![name, serde_json::to_string(roles)?, hashed, seq],
        )?;
        Ok(())
    })
}

/// Checks a name and password; the account if they match and it is not disabled. An unknown name
/// costs the same hashing as a wrong password, so timing does not tell which names exist.
pub fn authenticate(
    station: &Station,
    name: &str,
    password: &str,
) -> anyhow::Result<Option<Account>> {
    let stored: Option<String> = station
        .ledger()
        .conn()
        .query_row(
            "SELECT password_hash FROM accounts WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    // An unknown name is checked against a decoy hash made once: one argon2 verification, as a
    // known name costs (making the decoy at every call cost twice that, and told names apart).
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = match &stored {
        Some(h) => h.as_str(),
        None => match DECOY.get() {
            Some(d) => d.as_str(),
            None => {
                let made = hash("not an account")?;
                DECOY.get_or_init(|| made).as_str()
            }
        },
    };
    let parsed = PasswordHash::new(phc)
        .map_err(|e| anyhow::anyhow!("account '{name}': stored hash unreadable: {e}"))?;
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    if !matches || stored.is_none() {
        return Ok(None);
    }
    Ok(get(station, name)?.filter(|a| !a.disabled))
}

/// Whether `password` is what the account signs in with now.
fn still_the_secret(station: &Station, name: &str, password: &str) -> anyhow::Result<bool> {
    let stored: Option<String> = station
        .ledger()
        .conn()
        .query_row(
            "SELECT password_hash FROM accounts WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    Ok(stored.is_some_and(|h| {
        PasswordHash::new(&h).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    }))
}

/// Sets the account's own new password (the caller proved the current one).
pub fn set_password(station: &Station, by: &Account, name: &str, new: &str) -> anyhow::Result<()> {
    if by.name != name {
        // An admin who chose another's password could sign in as them and act as a second
        // person: an admin resets, and the station picks the secret.
        return Err(usage!(
            "only '{name}' sets their own password; an admin resets it (`camdock account password {name} --as ADMIN`: a fresh one-time secret, chosen by the station)"
        ));
    }
    store_password(station, by, name, new)
}

/// Resets another account's password to a fresh random one-time secret (returned, shown once, to
/// be handed over): it signs in only to choose a password, and can never become the password.
pub fn reset(station: &Station, by: &Account, name: &str) -> anyhow::Result<String> {
    by.require(Act::ManageAccounts)?;
    if by.name == name {
        return Err(usage!(
            "an admin sets their own password, not resets it: `camdock account password --as {name}`"
        ));
    }
    let secret = one_time_secret();
    store_password(station, by, name, &secret)?;
    Ok(secret)
}

fn store_password(station: &Station, by: &Account, name: &str, new: &str) -> anyhow::Result<()> {
    if new.chars().count() < 12 {
        return Err(usage!("a password needs 12 characters or more"));
    }
    if by.name == name && still_the_secret(station, name, new)? {
        // A one-time secret was seen by whoever issued it: kept as the password, they could
        // sign in as this account.
        return Err(usage!(
            "the new password must differ from the current one (a one-time secret can never become the password)"
        ));
    }
    let hashed = hash(new)?;
    // Set by an admin for someone else, it is a new one-time secret: the owner changes it.
    let must_change = by.name != name;
    station.ledger().write(|w| {
        let seq = w.append(NewEvent::new(EventKind::AccountChanged, &by.name).typed(
            &AccountChangedDetail {
                account: name.into(),
                change: "password".into(),
                one_time_secret: Some(must_change),
                roles: None,
            },
        ))?;
        let n = w.tx().execute(
            "UPDATE accounts SET password_hash = ?2, must_change = ?3 WHERE name = ?1 AND disabled_seq IS NULL",
            rusqlite::params![name, hashed, must_change],
        )?;
        if n == 0 {
            return Err(usage!("no active account '{name}' (seq {seq} not committed)"));
        }
        Ok(())
    })
}

pub fn set_roles(
    station: &Station,
    by: &Account,
    name: &str,
    roles: &[Role],
) -> anyhow::Result<()> {
    by.require(Act::ManageAccounts)?;
    if by.name == name {
        // An admin giving itself the approver role would be both people of a two-person rule.
        return Err(usage!("nobody changes their own roles: another admin does"));
    }
    if roles.is_empty() {
        return Err(usage!(
            "an account needs at least one role; disable it instead"
        ));
    }
    valid_roles(roles)?;
    station.ledger().write(|w| {
        w.append(NewEvent::new(EventKind::AccountChanged, &by.name).typed(
            &AccountChangedDetail {
                account: name.into(),
                change: "roles".into(),
                one_time_secret: None,
                roles: Some(roles.iter().map(|r| r.as_str().to_string()).collect()),
            },
        ))?;
        let n = w.tx().execute(
            "UPDATE accounts SET roles = ?2 WHERE name = ?1 AND disabled_seq IS NULL",
            rusqlite::params![name, serde_json::to_string(roles)?],
        )?;
        if n == 0 {
            return Err(usage!("no active account '{name}'"));
        }
        Ok(())
    })
}

/// Disables an account for good (never deleted: its name stays on every event it made).
pub fn disable(station: &Station, by: &Account, name: &str, reason: &str) -> anyhow::Result<()> {
    by.require(Act::ManageAccounts)?;
    if by.name == name {
        return Err(usage!(
            "an admin does not disable their own account; another admin does"
        ));
    }
    if reason.trim().is_empty() {
        return Err(usage!("disabling an account needs a reason"));
    }
    station.ledger().write(|w| {
        let seq = w.append(NewEvent::new(EventKind::AccountDisabled, &by.name).typed(
            &AccountDisabledDetail {
                account: name.into(),
                reason: reason.into(),
            },
        ))?;
        let n = w.tx().execute(
            "UPDATE accounts SET disabled_seq = ?2 WHERE name = ?1 AND disabled_seq IS NULL",
            rusqlite::params![name, seq],
        )?;
        if n == 0 {
            return Err(usage!("no active account '{name}'"));
        }
        // What a disabled approver approved and was not used yet stops counting, on the record.
        let people = crate::ledger::replay::people(w.tx())?;
        let requests: Vec<i64> = people
            .approvals
            .iter()
            .filter(|a| {
                a.decided_by.as_deref() == Some(name)
                    && a.approved == Some(true)
                    && !a.used
                    && a.voided_seq.is_none()
            })
            .map(|a| a.id)
            .collect();
        if !requests.is_empty() {
            let voided = w.append(NewEvent::new(EventKind::ApprovalsVoided, &by.name).typed(
                &ApprovalsVoidedDetail {
                    approver: name.into(),
                    requests: requests.clone(),
                },
            ))?;
            for id in requests {
                w.tx().execute(
                    "UPDATE approvals SET voided_seq = ?2 WHERE id = ?1",
                    rusqlite::params![id, voided],
                )?;
            }
        }
        Ok(())
    })
}
