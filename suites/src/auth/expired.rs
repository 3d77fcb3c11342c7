//! AUTH-2's expired tokens: an hour and 301 s past `exp` are refused, and the vendor's leeway on
//! `exp` is measured by bisection.

use std::time::Duration;

use super::AUTH_2_EXPIRED;
use super::judge::{Cred, Judged, Verdicts, judge_answer, not_401, rate_limited_midway, send};
use crate::context::Context;
use crate::outcome::Outcome;

/// An hour past `exp`: no leeway excuses accepting that.
const EXPIRED_AN_HOUR: u32 = 3600;
/// The largest leeway on `exp` AUTH-2 allows.
const MAX_LEEWAY: u32 = 300;
/// Steps of the search for the vendor's leeway between 1 s and 301 s (1 s resolution).
const LEEWAY_SEARCH_STEPS: u32 = 9;

/// Sends a token expired by `secs`: `Some(accepted)` when the answer is a verdict the leeway
/// search can use, `None` when it is already a failure (recorded in `verdicts`).
async fn expired_by(cx: &Context, secs: u32, verdicts: &mut Verdicts) -> Result<Option<bool>, Outcome> {
    let cred = Cred::craft(format!("expired:{secs}"));
    early_in_a_second().await;
    let answer = send(cx, &cred).await?;
    verdicts.sent.push(cred.label());
    let problem = match judge_answer(cx, &answer) {
        Judged::Refused => return Ok(Some(false)),
        Judged::Accepted if secs <= MAX_LEEWAY => return Ok(Some(true)),
        Judged::Limited => return Err(rate_limited_midway(&answer)),
        Judged::Accepted if secs >= EXPIRED_AN_HOUR => {
            format!("accepted a token expired {secs} s ago (answered {})", answer.status)
        }
        Judged::Accepted => format!(
            "accepted a token expired {secs} s ago, beyond the {MAX_LEEWAY} s of leeway AUTH-2 allows (answered {})",
            answer.status
        ),
        Judged::Wrong => not_401(cx, &answer),
    };
    verdicts.fail(&cred, &answer, problem);
    Ok(None)
}

/// Waits for the next second when the current one is nearly over, so the vendor reads the same
/// unix second as the token was minted in (clocks agreeing) and the leeway is measured to the
/// second, not off by one now and then. Waits at most 100 ms.
async fn early_in_a_second() {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_millis()))
        .unwrap_or_default();
    if millis >= 900 {
        tokio::time::sleep(Duration::from_millis(1000 - millis)).await;
    }
}

/// AUTH-2: expired tokens are refused; the leeway on `exp` is measured and at most 300 s.
pub async fn expired(cx: &Context) -> Outcome {
    let expected = "tokens expired by an hour or by 301 s get 401; a leeway on `exp` of at most 300 s";
    let mut verdicts = Verdicts::default();
    for secs in [EXPIRED_AN_HOUR, MAX_LEEWAY + 1] {
        if let Err(outcome) = expired_by(cx, secs, &mut verdicts).await {
            return outcome;
        }
    }
    if !verdicts.wrong.is_empty() {
        return verdicts.finish(AUTH_2_EXPIRED, expected, String::new());
    }
    // The boundary, by bisection: `accepted` is the largest delay seen accepted (0: none was),
    // `refused` the smallest seen refused.
    let (mut accepted, mut refused) = match expired_by(cx, 1, &mut verdicts).await {
        Ok(Some(false)) => (0, 1),
        Ok(Some(true)) => (1, MAX_LEEWAY + 1),
        Ok(None) => return verdicts.finish(AUTH_2_EXPIRED, expected, String::new()),
        Err(outcome) => return outcome,
    };
    let mut steps = 0;
    while refused - accepted > 1 && steps < LEEWAY_SEARCH_STEPS {
        steps += 1;
        let mid = accepted + (refused - accepted) / 2;
        match expired_by(cx, mid, &mut verdicts).await {
            Ok(Some(true)) => accepted = mid,
            Ok(Some(false)) => refused = mid,
            Ok(None) => return verdicts.finish(AUTH_2_EXPIRED, expected, String::new()),
            Err(outcome) => return outcome,
        }
    }
    let leeway = if accepted == 0 {
        "no leeway: a token 1 s past `exp` is refused".to_owned()
    } else if refused - accepted == 1 {
        format!("a leeway of {accepted} s: accepted {accepted} s past `exp`, refused {refused} s past")
    } else {
        format!("a leeway between {accepted} s and {} s", refused - 1)
    };
    Outcome::pass(format!("tokens expired by an hour and by 301 s are refused; the vendor allows {leeway}"))
        .expected(expected)
        .actual(leeway)
        .with_note(format!("sent {}", verdicts.sent.join(", ")))
        .with_note("measured against the harness's clock: a skew between the clocks shifts it")
}
