//! Staff with PINs, and ECPay members with their bound cards.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

use super::{Journal, JournalError, Result, audit};
use crate::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Cashier,
    /// May refund, void, reprint invoices and close the day.
    Manager,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Manager => "manager",
        }
    }

    fn parse(s: &str) -> Result<Role> {
        match s {
            "cashier" => Ok(Role::Cashier),
            "manager" => Ok(Role::Manager),
            _ => Err(JournalError::Corrupt(format!("bad role {s:?}"))),
        }
    }
}

/// A member of staff. The PIN hash never leaves the journal module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub active: bool,
}

fn check_pin(pin: &Secret) -> Result<()> {
    let p = pin.expose();
    if (4..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(JournalError::BadPin)
    }
}

fn hash_pin(pin: &Secret) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| JournalError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(pin.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| JournalError::Hash(e.to_string()))
}

/// A hash nobody's PIN matches, checked when the user does not exist so
/// that a wrong name takes as long as a wrong PIN.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        hash_pin(&Secret::new("not a pin")).unwrap_or_else(|_| String::from("$argon2id$invalid"))
    })
}

fn pin_matches(hash: &str, pin: &Secret) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(pin.expose().as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A member bound at ECPay (ECPG): `MerchantMemberID` is ours, each bound
/// card is a `BindCardID` ECPay gave us. No card numbers are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub merchant_member_id: String,
    pub display_name: String,
    pub cards: Vec<MemberCard>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberCard {
    pub bind_card_id: String,
    /// What ECPay shows of the card, e.g. `4311-95**-****-2222`.
    pub card_hint: String,
    pub created_at: String,
}

impl Journal {
    /// Add a member of staff with a 4–8 digit PIN.
    pub fn add_user(&mut self, name: &str, role: Role, pin: &Secret, by: &str) -> Result<()> {
        check_pin(pin)?;
        let hash = hash_pin(pin)?;
        let (tx, now) = self.write()?;
        let exists: Option<i64> = tx
            .query_row("SELECT id FROM users WHERE name = ?1", [name], |r| r.get(0))
            .optional()?;
        if exists.is_some() {
            return Err(JournalError::UserExists(name.to_string()));
        }
        tx.execute(
            "INSERT INTO users (name, role, pin_hash, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![name, role.as_str(), hash, now],
        )?;
        audit::append(
            &tx,
            &now,
            by,
            "user.add",
            name,
            &json!({ "role": role.as_str() }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Whether `name` is an active user whose PIN is `pin`. Unknown users,
    /// inactive users and wrong PINs all answer `false` after the same
    /// argon2 work, so the answer does not say which part was wrong.
    pub fn verify_pin(&self, name: &str, pin: &Secret) -> Result<bool> {
        let row: Option<(String, bool)> = self
            .conn
            .query_row(
                "SELECT pin_hash, active FROM users WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(match row {
            Some((hash, active)) => pin_matches(&hash, pin) && active,
            None => {
                pin_matches(decoy_hash(), pin);
                false
            }
        })
    }

    /// Change a user's PIN.
    pub fn set_pin(&mut self, name: &str, pin: &Secret, by: &str) -> Result<()> {
        check_pin(pin)?;
        let hash = hash_pin(pin)?;
        let (tx, now) = self.write()?;
        let n = tx.execute(
            "UPDATE users SET pin_hash = ?2, updated_at = ?3 WHERE name = ?1",
            params![name, hash, now],
        )?;
        if n == 0 {
            return Err(JournalError::NoSuchUser(name.to_string()));
        }
        audit::append(&tx, &now, by, "user.set_pin", name, &json!({}))?;
        tx.commit()?;
        Ok(())
    }

    /// Enable or disable a user (users are never deleted: the audit log names them).
    pub fn set_user_active(&mut self, name: &str, active: bool, by: &str) -> Result<()> {
        let (tx, now) = self.write()?;
        let n = tx.execute(
            "UPDATE users SET active = ?2, updated_at = ?3 WHERE name = ?1",
            params![name, active, now],
        )?;
        if n == 0 {
            return Err(JournalError::NoSuchUser(name.to_string()));
        }
        audit::append(
            &tx,
            &now,
            by,
            "user.set_active",
            name,
            &json!({ "active": active }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Active users in name order: the sign-in screen's list.
    pub fn active_users(&self) -> Result<Vec<User>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, role FROM users WHERE active ORDER BY role DESC, name")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut users = Vec::new();
        for row in rows {
            let (name, role) = row?;
            users.push(User {
                name,
                role: Role::parse(&role)?,
                active: true,
            });
        }
        Ok(users)
    }

    /// A user by name.
    pub fn user(&self, name: &str) -> Result<Option<User>> {
        let row: Option<(String, String, bool)> = self
            .conn
            .query_row(
                "SELECT name, role, active FROM users WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        row.map(|(name, role, active)| {
            Ok(User {
                name,
                role: Role::parse(&role)?,
                active,
            })
        })
        .transpose()
    }

    /// Register a member (idempotent on `merchant_member_id`).
    pub fn add_member(&mut self, merchant_member_id: &str, display_name: &str) -> Result<()> {
        let (tx, now) = self.write()?;
        let n = tx.execute(
            "INSERT INTO members (merchant_member_id, display_name, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (merchant_member_id) DO NOTHING",
            params![merchant_member_id, display_name, now],
        )?;
        if n > 0 {
            audit::append(
                &tx,
                &now,
                "till",
                "member.add",
                merchant_member_id,
                &json!({}),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Record a card ECPay bound to a member.
    pub fn bind_card(
        &mut self,
        merchant_member_id: &str,
        bind_card_id: &str,
        card_hint: &str,
    ) -> Result<()> {
        let (tx, now) = self.write()?;
        let member: i64 = tx
            .query_row(
                "SELECT id FROM members WHERE merchant_member_id = ?1",
                [merchant_member_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| JournalError::NoSuchMember(merchant_member_id.to_string()))?;
        tx.execute(
            "INSERT INTO member_cards (member_id, bind_card_id, card_hint, created_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (bind_card_id) DO UPDATE SET removed_at = NULL, card_hint = excluded.card_hint",
            params![member, bind_card_id, card_hint, now],
        )?;
        audit::append(
            &tx,
            &now,
            "till",
            "member.bind_card",
            merchant_member_id,
            &json!({ "bind_card_id": bind_card_id, "card_hint": card_hint }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Forget a bound card (after unbinding it at ECPay).
    pub fn remove_card(&mut self, bind_card_id: &str) -> Result<()> {
        let (tx, now) = self.write()?;
        let n = tx.execute(
            "UPDATE member_cards SET removed_at = ?2 WHERE bind_card_id = ?1 AND removed_at IS NULL",
            params![bind_card_id, now],
        )?;
        if n == 0 {
            return Err(JournalError::NoSuchMember(bind_card_id.to_string()));
        }
        audit::append(
            &tx,
            &now,
            "till",
            "member.remove_card",
            bind_card_id,
            &json!({}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A member and their current cards.
    pub fn member(&self, merchant_member_id: &str) -> Result<Option<Member>> {
        let row: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT id, display_name FROM members WHERE merchant_member_id = ?1",
                [merchant_member_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((id, display_name)) = row else {
            return Ok(None);
        };
        let cards = self
            .conn
            .prepare(
                "SELECT bind_card_id, card_hint, created_at FROM member_cards
                 WHERE member_id = ?1 AND removed_at IS NULL ORDER BY id",
            )?
            .query_map([id], |r| {
                Ok(MemberCard {
                    bind_card_id: r.get(0)?,
                    card_hint: r.get(1)?,
                    created_at: r.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Member {
            merchant_member_id: merchant_member_id.to_string(),
            display_name,
            cards,
        }))
    }
}
