//! `FakeCardProcessor`: a stand-in for a real card processor, for development and tests.
//! It charges nothing real. Its ledger lives in the key-value store `fake-card-processor`
//! (the processor's own storage, not payments'), so that what it "charged" can be inspected
//! from outside, and so that it behaves like a real processor across calls:
//!
//! - `charges:<idempotency key>` ([`Ledger`]): every charge attempt under that key, and the
//!   approved charge if there is one. A repeated key answers the recorded approval, so an
//!   order is never charged twice (`kv-schemas/payments/charge-ledger.schema.json`).
//! - `charge-ids:<charge id>` ([`ChargeIndex`]): which key a charge belongs to, for refunds
//!   (`kv-schemas/payments/charge-index.schema.json`).
//!
//! Test tokens: `tok_visa` approves; `tok_processingError` fails transiently on the first
//! two attempts under a key, then approves; `tok_chargeDeclined` and any other token decline.

use serde::{Deserialize, Serialize};
use service_kit::clock::now_rfc3339;
use service_kit::money::Money;
use spin_sdk::key_value::Store;

use crate::processor::{CardProcessor, ChargeOutcome, RefundOutcome};

/// The key-value label of the ledger.
pub const STORE: &str = "fake-card-processor";

/// Transient failures `tok_processingError` answers before it approves.
const PROCESSING_ERROR_FAILURES: usize = 2;

/// One charge attempt as the fake processor saw it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attempt {
    pub attempted_at: String,
    pub token: String,
    pub amount: Money,
    /// `approved`, `declined` or `transient_error`.
    pub outcome: String,
    /// Whether this attempt only answered an earlier approval (idempotent repeat).
    pub replayed: bool,
}

/// An approved charge.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Charge {
    pub charge_id: String,
    pub token: String,
    pub amount: Money,
    pub charged_at: String,
    pub refunded_at: Option<String>,
}

/// Everything charged under one idempotency key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ledger {
    pub idempotency_key: String,
    pub attempts: Vec<Attempt>,
    pub charge: Option<Charge>,
}

/// Finds a charge's ledger for a refund.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChargeIndex {
    pub charge_id: String,
    pub idempotency_key: String,
}

/// The fake processor over its key-value ledger.
pub struct FakeCardProcessor {
    store: Store,
}

impl FakeCardProcessor {
    /// Opens the ledger.
    pub fn open() -> Result<Self, spin_sdk::key_value::Error> {
        Ok(Self {
            store: Store::open(STORE)?,
        })
    }

    fn read<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Result<Option<T>, String> {
        let bytes = self.store.get(key).map_err(|error| format!("{error:?}"))?;
        bytes
            .map(|bytes| serde_json::from_slice(&bytes).map_err(|error| error.to_string()))
            .transpose()
    }

    fn write<T: Serialize>(&self, key: &str, value: &T) -> Result<(), String> {
        let bytes = serde_json::to_vec(value).map_err(|error| error.to_string())?;
        self.store
            .set(key, &bytes)
            .map_err(|error| format!("{error:?}"))
    }

    fn try_charge(
        &self,
        idempotency_key: &str,
        token: &str,
        amount: &Money,
    ) -> Result<ChargeOutcome, String> {
        let key = format!("charges:{idempotency_key}");
        let mut ledger = self.read::<Ledger>(&key)?.unwrap_or_else(|| Ledger {
            idempotency_key: idempotency_key.to_owned(),
            attempts: Vec::new(),
            charge: None,
        });
        let replayed = ledger
            .charge
            .as_ref()
            .map(|charge| charge.charge_id.clone());
        let outcome = match replayed.clone() {
            Some(charge_id) => ChargeOutcome::Approved { charge_id },
            None => decide(token, ledger.attempts.len()),
        };
        let now = now_rfc3339();
        ledger.attempts.push(Attempt {
            attempted_at: now.clone(),
            token: token.to_owned(),
            amount: amount.clone(),
            outcome: outcome_name(&outcome).to_owned(),
            replayed: replayed.is_some(),
        });
        if let (ChargeOutcome::Approved { charge_id }, None) = (&outcome, &replayed) {
            self.write(
                &format!("charge-ids:{charge_id}"),
                &ChargeIndex {
                    charge_id: charge_id.clone(),
                    idempotency_key: idempotency_key.to_owned(),
                },
            )?;
            ledger.charge = Some(Charge {
                charge_id: charge_id.clone(),
                token: token.to_owned(),
                amount: amount.clone(),
                charged_at: now,
                refunded_at: None,
            });
        }
        self.write(&key, &ledger)?;
        Ok(outcome)
    }

    fn try_refund(&self, charge_id: &str) -> Result<RefundOutcome, String> {
        let Some(index) = self.read::<ChargeIndex>(&format!("charge-ids:{charge_id}"))? else {
            return Ok(rejected(charge_id));
        };
        let key = format!("charges:{}", index.idempotency_key);
        let Some(mut ledger) = self.read::<Ledger>(&key)? else {
            return Ok(rejected(charge_id));
        };
        match &mut ledger.charge {
            Some(charge) if charge.charge_id == charge_id => {
                if charge.refunded_at.is_none() {
                    charge.refunded_at = Some(now_rfc3339());
                    self.write(&key, &ledger)?;
                }
                Ok(RefundOutcome::Refunded)
            }
            _ => Ok(rejected(charge_id)),
        }
    }
}

impl CardProcessor for FakeCardProcessor {
    fn charge(&self, idempotency_key: &str, token: &str, amount: &Money) -> ChargeOutcome {
        self.try_charge(idempotency_key, token, amount)
            .unwrap_or_else(|error| {
                eprintln!("fake card processor: charge {idempotency_key} failed: {error}");
                ChargeOutcome::TransientError
            })
    }

    fn refund(&self, charge_id: &str) -> RefundOutcome {
        self.try_refund(charge_id).unwrap_or_else(|error| {
            eprintln!("fake card processor: refund {charge_id} failed: {error}");
            RefundOutcome::TransientError
        })
    }
}

/// What a fresh attempt with `token` answers after `earlier_attempts` under the same key.
fn decide(token: &str, earlier_attempts: usize) -> ChargeOutcome {
    match token {
        "tok_visa" => approve(),
        "tok_processingError" if earlier_attempts < PROCESSING_ERROR_FAILURES => {
            ChargeOutcome::TransientError
        }
        "tok_processingError" => approve(),
        _ => ChargeOutcome::Declined,
    }
}

fn approve() -> ChargeOutcome {
    ChargeOutcome::Approved {
        charge_id: format!("ch_{}", service_kit::ids::random_uuid().replace('-', "")),
    }
}

fn outcome_name(outcome: &ChargeOutcome) -> &'static str {
    match outcome {
        ChargeOutcome::Approved { .. } => "approved",
        ChargeOutcome::Declined => "declined",
        ChargeOutcome::TransientError => "transient_error",
    }
}

fn rejected(charge_id: &str) -> RefundOutcome {
    RefundOutcome::Rejected {
        reason: format!("unknown charge {charge_id}"),
    }
}
