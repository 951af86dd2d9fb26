//! Behaviour of the simulated service over real HTTP: transport, auth and
//! brute-force protection, selection, paging, masking, IP policy, rate limits,
//! wire styles, request log, loader.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::{
    all_calls, basic, fixture, get, ids, post, post_auth, post_json, post_raw, post_with_query,
};
use serde_json::{Value, json};
use velip_sandbox::{
    AuthMode, BanConfig, DEFAULT_BASIC_PASSWORD, DEFAULT_BASIC_USER, INACTIVE_TOKEN, IpPolicy,
    LimitsConfig, MCP_ONLY_TOKEN, RequestKind, Sandbox, SandboxConfig, WireStyle,
};

fn small(calls: usize) -> Sandbox {
    Sandbox::start(SandboxConfig {
        calls,
        ..Default::default()
    })
    .expect("sandbox starts")
}

// ---------------------------------------------------------------- transport

#[test]
fn form_json_and_get_query_select_the_same_calls() {
    let sb = small(500);
    let t = sb.token();
    let form = post(&sb, t, &[("maxreg", "7"), ("origin", "crm")]);
    let js = post_json(&sb, t, &json!({"maxreg": 7, "origin": "crm"}));
    let q = get(&sb, t, &[("maxreg", "7"), ("origin", "crm")]);
    assert_eq!(form.status, 200);
    assert_eq!(form.calls().len(), 7);
    assert_eq!(form.text, js.text);
    assert_eq!(form.text, q.text);
    let log = sb.request_log();
    assert_eq!(
        log.iter().map(|r| r.method.as_str()).collect::<Vec<_>>(),
        ["POST", "POST", "GET"]
    );
    assert_eq!(log[1].content_type.as_deref(), Some("application/json"));
    assert_eq!(log[1].param("maxreg"), Some("7"));
}

#[test]
fn query_string_wins_over_body() {
    let sb = small(500);
    let a = post_with_query(
        &sb,
        sb.token(),
        &[("maxreg", "2"), ("origin", "fromquery")],
        &[("maxreg", "5"), ("origin", "frombody")],
    );
    let calls = a.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["origin"], "fromquery");
    let log = sb.request_log();
    assert_eq!(log[0].param("maxreg"), Some("2"));
    assert!(log[0].in_query("maxreg"));
}

#[test]
fn unknown_path_is_404_and_logged() {
    let sb = small(10);
    let a = common::agent()
        .get(format!("{}/api/v2/Nope.php", sb.url()))
        .call()
        .unwrap();
    assert_eq!(a.status().as_u16(), 404);
    assert_eq!(sb.request_log()[0].path, "/api/v2/Nope.php");
}

// ---------------------------------------------------------------- auth

#[test]
fn bearer_tsid_and_basic_authenticate() {
    let sb = small(50);
    let bearer = post(&sb, sb.token(), &[("maxreg", "1")]);
    let tsid = post_raw(&sb, &[("tsid", sb.token()), ("maxreg", "1")]);
    let basic_ok = post_auth(
        &sb,
        &basic(DEFAULT_BASIC_USER, DEFAULT_BASIC_PASSWORD),
        &[("maxreg", "1")],
    );
    for a in [&bearer, &tsid, &basic_ok] {
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(a.calls().len(), 1);
    }
    let modes: Vec<AuthMode> = sb.request_log().iter().map(|r| r.auth).collect();
    assert_eq!(modes, [AuthMode::Bearer, AuthMode::Tsid, AuthMode::Basic]);

    let bad_basic = post_auth(&sb, &basic(DEFAULT_BASIC_USER, "wrong"), &[]);
    assert_eq!(
        (bad_basic.status, bad_basic.code()),
        (401, "140".to_owned())
    );
    let none = post_raw(&sb, &[]);
    assert_eq!((none.status, none.code()), (401, "100".to_owned()));
    let unknown = post(&sb, "not-a-token-000000000000000000", &[]);
    assert_eq!((unknown.status, unknown.code()), (401, "102".to_owned()));
    assert_eq!(unknown.text, fixture("error_401_sid_not_found.json").trim());
}

#[test]
fn tsid_wins_over_sid_and_sessions_work() {
    let sb = Sandbox::start(SandboxConfig {
        calls: 20,
        sessions: vec!["session-1".into()],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        post_raw(&sb, &[("sid", "session-1"), ("maxreg", "1")]).status,
        200
    );
    assert_eq!(post_raw(&sb, &[("sid", "nope")]).code(), "102");
    // tsid (bad) wins over sid (good).
    assert_eq!(
        post_raw(&sb, &[("sid", "session-1"), ("tsid", "bad")]).code(),
        "102"
    );
    assert_eq!(sb.request_log()[2].auth, AuthMode::Tsid);
}

#[test]
fn mcp_only_token_is_114_and_inactive_account_is_110() {
    let sb = small(20);
    let mcp = post(&sb, MCP_ONLY_TOKEN, &[]);
    assert_eq!((mcp.status, mcp.code()), (401, "114".to_owned()));
    let inactive = post(&sb, INACTIVE_TOKEN, &[]);
    assert_eq!((inactive.status, inactive.code()), (401, "110".to_owned()));
    assert_eq!(inactive.json()["return"]["cd_id"], "0");
}

#[test]
fn fifteen_102_answers_ban_the_ip_permanently() {
    let sb = small(20);
    for i in 0..15 {
        let a = post(&sb, "wrong-token-wrong-token-wrong0", &[]);
        assert_eq!(a.code(), "102", "attempt {i}");
    }
    assert!(sb.local_client_status().banned);
    assert_eq!(sb.local_client_status().sid_not_found, 15);
    // Even a good token is refused now, forever.
    let a = post(&sb, sb.token(), &[]);
    assert_eq!((a.status, a.code()), (401, "199".to_owned()));
    assert_eq!(a.text, fixture("error_401_ip_blocked.json").trim());
    sb.advance_clock(Duration::from_secs(24 * 3600));
    assert_eq!(post(&sb, sb.token(), &[]).code(), "199");
    // Only reset (Velip staff) lifts it.
    sb.reset();
    assert!(!sb.local_client_status().banned);
    assert_eq!(post(&sb, sb.token(), &[("maxreg", "1")]).status, 200);
}

#[test]
fn fourteen_102_answers_do_not_ban_and_expire() {
    let sb = small(20);
    for _ in 0..14 {
        post(&sb, "wrong", &[]);
    }
    assert!(!sb.local_client_status().banned);
    sb.advance_clock(Duration::from_secs(601));
    assert_eq!(sb.local_client_status().sid_not_found, 0);
    for _ in 0..14 {
        post(&sb, "wrong", &[]);
    }
    assert!(!sb.local_client_status().banned);
    assert_eq!(post(&sb, sb.token(), &[("maxreg", "1")]).status, 200);
}

#[test]
fn twenty_failures_give_the_temporary_block_131() {
    let sb = small(20);
    for _ in 0..20 {
        assert_eq!(post(&sb, MCP_ONLY_TOKEN, &[]).code(), "114");
    }
    let st = sb.local_client_status();
    assert!(st.temporarily_blocked && !st.banned, "{st:?}");
    assert_eq!(post(&sb, sb.token(), &[]).code(), "131");
    sb.advance_clock(Duration::from_secs(601));
    assert_eq!(post(&sb, sb.token(), &[("maxreg", "1")]).status, 200);
}

#[test]
fn hundred_failures_in_an_hour_ban() {
    let sb = Sandbox::start(SandboxConfig {
        calls: 20,
        bans: BanConfig {
            temp_block: 1000,
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    for _ in 0..99 {
        post(&sb, INACTIVE_TOKEN, &[]);
    }
    assert!(!sb.local_client_status().banned);
    post(&sb, INACTIVE_TOKEN, &[]);
    assert!(sb.local_client_status().banned);
}

#[test]
fn five_bad_passwords_block_the_user_132() {
    let sb = small(20);
    for _ in 0..5 {
        assert_eq!(
            post_auth(&sb, &basic(DEFAULT_BASIC_USER, "bad"), &[]).code(),
            "140"
        );
    }
    let a = post_auth(&sb, &basic(DEFAULT_BASIC_USER, DEFAULT_BASIC_PASSWORD), &[]);
    assert_eq!(a.code(), "132");
    // Tokens still work (the block is per user).
    assert_eq!(post(&sb, sb.token(), &[("maxreg", "1")]).status, 200);
    assert_eq!(sb.local_client_status().bad_userpass, 5);
}

// ---------------------------------------------------------------- selection

/// ctid -> ids, from the whole data set.
fn ctid_groups(calls: &[Value]) -> HashMap<String, Vec<u64>> {
    let mut m: HashMap<String, Vec<u64>> = HashMap::new();
    for c in calls {
        m.entry(c["ctid"].as_str().unwrap().to_owned())
            .or_default()
            .push(c["cd_id"].as_u64().unwrap());
    }
    m
}

#[test]
fn ctid_wins_over_cd_id_and_single_match_is_a_point_lookup() {
    let sb = small(800);
    let calls = all_calls(&sb);
    let groups = ctid_groups(&calls);
    let (ctid, id) = groups
        .iter()
        .find(|(k, v)| !k.is_empty() && v.len() == 1)
        .map(|(k, v)| (k.clone(), v[0]))
        .unwrap();
    let other = calls
        .iter()
        .map(|c| c["cd_id"].as_u64().unwrap())
        .find(|&x| x != id)
        .unwrap();
    let a = post(
        &sb,
        sb.masked_token(),
        &[("ctid", &ctid), ("cd_id", &other.to_string())],
    );
    assert_eq!(ids(&a.calls()), [id]);
    // Full numbers for a single-ctid lookup even with a masked token.
    assert!(a.json()["return"].get("numbers_masked").is_none());
    assert!(a.calls()[0]["dest"].as_str().unwrap().starts_with("55"));
    assert_eq!(
        sb.request_log().last().unwrap().kind,
        Some(RequestKind::PointLookup)
    );
}

#[test]
fn ctid_null_selects_empty_ctids_as_a_list() {
    let sb = small(800);
    let expected: Vec<u64> = all_calls(&sb)
        .iter()
        .filter(|c| c["ctid"] == "")
        .map(|c| c["cd_id"].as_u64().unwrap())
        .collect();
    assert!(!expected.is_empty());
    let a = post(&sb, sb.token(), &[("ctid", "null"), ("maxreg", "5000")]);
    assert_eq!(ids(&a.calls()), expected);
    assert_eq!(
        sb.request_log().last().unwrap().kind,
        Some(RequestKind::List)
    );
}

#[test]
fn shared_ctid_is_a_list_request() {
    let sb = small(2000);
    let groups = ctid_groups(&all_calls(&sb));
    let (ctid, group) = groups
        .iter()
        .find(|(k, v)| !k.is_empty() && v.len() > 1)
        .unwrap();
    let a = post(
        &sb,
        sb.masked_token(),
        &[("ctid", ctid), ("cd_id", &group[0].to_string())],
    );
    assert_eq!(ids(&a.calls()), *group);
    assert_eq!(a.json()["return"]["numbers_masked"], true);
    assert_eq!(
        sb.request_log().last().unwrap().kind,
        Some(RequestKind::List)
    );
}

#[test]
fn cd_id_lookup_accepts_bare_and_prefixed_ids() {
    let sb = small(300);
    let id = all_calls(&sb)[17]["cd_id"].as_u64().unwrap();
    for form in [id.to_string(), format!("42_{id}"), format!("abc_{id}")] {
        let a = post(&sb, sb.token(), &[("cd_id", &form)]);
        assert_eq!(ids(&a.calls()), [id], "{form}");
    }
    assert!(
        post(&sb, sb.token(), &[("cd_id", "42_999")])
            .calls()
            .is_empty()
    );
    let log = sb.request_log();
    assert!(
        log[log.len() - 4..]
            .iter()
            .all(|r| r.kind == Some(RequestKind::PointLookup))
    );
}

#[test]
fn cp_id_and_cpid_select_campaigns() {
    let sb = small(3000);
    let calls = all_calls(&sb);
    let cp = calls[100]["cp_id"].as_u64().unwrap();
    let expected: Vec<u64> = calls
        .iter()
        .filter(|c| c["cp_id"] == cp)
        .map(|c| c["cd_id"].as_u64().unwrap())
        .collect();
    let a = post(
        &sb,
        sb.token(),
        &[("cp_id", &cp.to_string()), ("maxreg", "5000")],
    );
    assert_eq!(ids(&a.calls()), expected);

    // A cpid used by several campaigns resolves to the latest cp_id.
    let latest = calls
        .iter()
        .filter(|c| c["cpid"] == "aviso-semanal")
        .map(|c| c["cp_id"].as_u64().unwrap())
        .max()
        .unwrap();
    let campaigns: HashSet<u64> = calls
        .iter()
        .filter(|c| c["cpid"] == "aviso-semanal")
        .map(|c| c["cp_id"].as_u64().unwrap())
        .collect();
    assert!(campaigns.len() > 1, "the data should reuse cpids");
    let a = post(
        &sb,
        sb.token(),
        &[("cpid", "aviso-semanal"), ("maxreg", "5000")],
    );
    assert!(!a.calls().is_empty());
    assert!(a.calls().iter().all(|c| c["cp_id"] == latest));
}

#[test]
fn dates_are_inclusive_and_aliases_work() {
    let sb = small(3000);
    let calls = all_calls(&sb);
    let day = calls[1500]["date"].as_str().unwrap().to_owned();
    let expected: Vec<u64> = calls
        .iter()
        .filter(|c| c["date"] == day.as_str())
        .map(|c| c["cd_id"].as_u64().unwrap())
        .collect();
    let a = post(
        &sb,
        sb.token(),
        &[("date_start", &day), ("date_end", &day), ("maxreg", "5000")],
    );
    assert_eq!(ids(&a.calls()), expected);
    let b = post(
        &sb,
        sb.token(),
        &[("dini", &day), ("dend", &day), ("maxreg", "5000")],
    );
    assert_eq!(a.text, b.text);
    // The full name wins over the alias.
    let c = post(
        &sb,
        sb.token(),
        &[
            ("date_start", &day),
            ("dini", "2000-01-01"),
            ("date_end", &day),
            ("maxreg", "5000"),
        ],
    );
    assert_eq!(a.text, c.text);
}

#[test]
fn onlydtmf_keeps_calls_with_an_answer() {
    let sb = small(1000);
    let a = post(&sb, sb.token(), &[("onlydtmf", "1"), ("maxreg", "5000")]);
    let calls = a.calls();
    assert!(!calls.is_empty() && calls.len() < 1000);
    for c in &calls {
        let any = c
            .as_object()
            .unwrap()
            .iter()
            .any(|(k, v)| k.starts_with("resp_") && v != "");
        assert!(any, "{c}");
    }
}

#[test]
fn numtype_rewrites_dest() {
    let sb = small(50);
    let full = post(&sb, sb.token(), &[("maxreg", "1")]).calls()[0]["dest"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        full.starts_with("55") && (full.len() == 12 || full.len() == 13),
        "{full}"
    );
    let national = &full[2..];
    let zero =
        post(&sb, sb.token(), &[("maxreg", "1"), ("numtype", "0DDD")]).calls()[0]["dest"].clone();
    let ddd =
        post(&sb, sb.token(), &[("maxreg", "1"), ("numtype", "DDD")]).calls()[0]["dest"].clone();
    assert_eq!(zero, format!("0{national}"));
    assert_eq!(ddd, national);
}

#[test]
fn origin_is_echoed_or_reset_to_api() {
    let sb = small(20);
    let echo = |o: &str| {
        post(&sb, sb.token(), &[("maxreg", "1"), ("origin", o)]).calls()[0]["origin"].clone()
    };
    assert_eq!(echo("crm_sync-2"), "crm_sync-2");
    assert_eq!(echo("bad origin!"), "api");
    assert_eq!(echo(&"a".repeat(33)), "api");
    assert_eq!(echo(&"a".repeat(32)), "a".repeat(32));
    assert_eq!(
        post(&sb, sb.token(), &[("maxreg", "1")]).calls()[0]["origin"],
        "api"
    );
}

#[test]
fn invalid_filters_give_an_empty_list() {
    let sb = small(100);
    for (k, v) in [
        ("cp_id", "abc"),
        ("date_start", "2026-13-45"),
        ("cpid", "no-such"),
        ("last_id", "x"),
    ] {
        let a = post(&sb, sb.token(), &[(k, v)]);
        assert_eq!(a.status, 200);
        assert_eq!(a.text, fixture("empty.json").trim(), "{k}={v}");
    }
}

// ---------------------------------------------------------------- paging

#[test]
fn newest_first_default_1000_and_no_pagination_without_maxreg() {
    let sb = small(3000);
    let a = post(&sb, sb.token(), &[]);
    let got = ids(&a.calls());
    assert_eq!(got.len(), 1000);
    assert!(got.windows(2).all(|w| w[0] > w[1]));
    assert_eq!(got[0], sb.newest_call_id());
    assert!(a.json()["return"].get("pagination").is_none());
}

#[test]
fn maxreg_is_capped_at_5000() {
    let sb = small(6000);
    for m in ["-1", "6000"] {
        let a = post(&sb, sb.token(), &[("maxreg", m)]);
        assert_eq!(a.calls().len(), 5000);
        let p = &a.json()["return"]["pagination"];
        assert_eq!(p["maxreg_capped"], true);
        assert_eq!(p["maxreg_applied"], 5000);
        assert_eq!(p["has_more"], true);
    }
    let a = post(&sb, sb.token(), &[("maxreg", "5000")]);
    assert!(
        a.json()["return"]["pagination"]
            .get("maxreg_capped")
            .is_none()
    );
}

#[test]
fn cursor_walks_every_call_once() {
    let sb = small(2000);
    let mut seen = Vec::new();
    let mut last: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut p = vec![("maxreg", "700".to_owned())];
        if let Some(l) = &last {
            p.push(("last_id", l.clone()));
        }
        let pp: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let a = post(&sb, sb.token(), &pp);
        let j = a.json();
        let page = ids(&a.calls());
        if let Some(l) = &last {
            assert_eq!(
                page[0].to_string(),
                *l,
                "next_id is the first id of the next page"
            );
        }
        seen.extend(page);
        pages += 1;
        let pag = &j["return"]["pagination"];
        if pag["has_more"] == false {
            assert_eq!(pag["next_id"], "");
            break;
        }
        last = Some(pag["next_id"].to_string());
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 2000);
    assert!(seen.windows(2).all(|w| w[0] > w[1]));
}

#[test]
fn calls_inserted_while_paging_arrive_at_the_head() {
    let sb = small(1000);
    let before = ids(&all_calls(&sb));
    let p1 = post(&sb, sb.token(), &[("maxreg", "400")]);
    let next = p1.json()["return"]["pagination"]["next_id"].to_string();
    let new = sb.insert_calls(25);
    assert!(new.iter().all(|&id| id > before[0]));
    let p2 = post(&sb, sb.token(), &[("maxreg", "400"), ("last_id", &next)]);
    let mut walked = ids(&p1.calls());
    walked.extend(ids(&p2.calls()));
    assert_eq!(walked, before[..800]);
    // A fresh query sees the new calls first.
    let fresh = ids(&post(&sb, sb.token(), &[("maxreg", "25")]).calls());
    let mut newest = new.clone();
    newest.reverse();
    assert_eq!(fresh, newest);
    assert_eq!(sb.call_count(), 1025);
}

// ---------------------------------------------------------------- masking

#[test]
fn masking_per_token_and_request_kind() {
    let sb = small(400);
    let masked = post(&sb, sb.masked_token(), &[("maxreg", "300")]);
    assert_eq!(masked.json()["return"]["numbers_masked"], true);
    let full = post(&sb, sb.token(), &[("maxreg", "300")]);
    assert!(full.json()["return"].get("numbers_masked").is_none());
    let mut saw_extra = false;
    for (m, f) in masked.calls().iter().zip(full.calls()) {
        let (md, fd) = (m["dest"].as_str().unwrap(), f["dest"].as_str().unwrap());
        assert_eq!(md, format!("xxxxx{}", &fd[fd.len() - 3..]));
        if let Some(extra) = f["cdc_extra1"].as_str() {
            saw_extra = true;
            let digits: String = extra.chars().filter(char::is_ascii_digit).collect();
            let me = m["cdc_extra1"].as_str().unwrap();
            assert!(
                me.contains(&format!("xxxxxxx{}", &digits[digits.len() - 4..])),
                "{me}"
            );
        }
    }
    assert!(saw_extra);
    // Point lookup by cd_id: masked too. Basic: never masked.
    let id = full.calls()[0]["cd_id"].to_string();
    let by_id = post(&sb, sb.masked_token(), &[("cd_id", &id)]);
    assert_eq!(by_id.json()["return"]["numbers_masked"], true);
    let basic_list = post_auth(
        &sb,
        &basic(DEFAULT_BASIC_USER, DEFAULT_BASIC_PASSWORD),
        &[("maxreg", "3")],
    );
    assert!(basic_list.json()["return"].get("numbers_masked").is_none());
    assert!(
        basic_list.calls()[0]["dest"]
            .as_str()
            .unwrap()
            .starts_with("55")
    );
}

// ---------------------------------------------------------------- IP policy

#[test]
fn unregistered_ip_warning_and_announced_403() {
    let sb = small(50);
    sb.set_ip_policy(IpPolicy::Warn);
    let list = post(&sb, sb.token(), &[("maxreg", "1")]);
    let warning = list.json()["return"]["warning"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(warning.contains("127.0.0.1"), "{warning}");
    let id = list.calls()[0]["cd_id"].to_string();
    let lookup = post(&sb, sb.token(), &[("cd_id", &id)]);
    assert!(lookup.json()["return"].get("warning").is_none());

    sb.set_ip_policy(IpPolicy::Block);
    let blocked = post(&sb, sb.token(), &[("maxreg", "1")]);
    assert_eq!(blocked.status, 403);
    assert_eq!(blocked.text, fixture("error_403_ip.json").trim());
    assert_eq!(post(&sb, sb.token(), &[("cd_id", &id)]).status, 200);
    sb.set_ip_policy(IpPolicy::Allow);
    assert!(
        post(&sb, sb.token(), &[("maxreg", "1")]).json()["return"]
            .get("warning")
            .is_none()
    );
}

// ---------------------------------------------------------------- rate limits

#[test]
fn hourly_list_quota_answers_429_with_retry_after() {
    let sb = Sandbox::start(SandboxConfig {
        calls: 50,
        limits: LimitsConfig {
            list_requests: 3,
            ..LimitsConfig::spec()
        },
        ..Default::default()
    })
    .unwrap();
    for _ in 0..3 {
        assert_eq!(post(&sb, sb.token(), &[("maxreg", "1")]).status, 200);
    }
    // Point lookups do not count against the list quota.
    assert_eq!(
        post(
            &sb,
            sb.token(),
            &[("cd_id", &sb.newest_call_id().to_string())]
        )
        .status,
        200
    );
    let a = post(&sb, sb.token(), &[("maxreg", "1")]);
    assert_eq!(a.status, 429);
    assert_eq!(a.code(), "429");
    assert_eq!(
        a.json()["return"]["status"],
        "Rate limit exceeded: 3 list requests per hour"
    );
    let secs: u64 = a.header("retry-after").unwrap().parse().unwrap();
    assert!((3590..=3600).contains(&secs), "{secs}");
    assert_eq!(
        sb.quota_status("127.0.0.1".parse().unwrap()).list_requests,
        3
    );
    sb.advance_clock(Duration::from_secs(3601));
    assert_eq!(post(&sb, sb.token(), &[("maxreg", "1")]).status, 200);
}

#[test]
fn daily_lookup_cap_answers_429_until_midnight() {
    let sb = Sandbox::start(SandboxConfig {
        calls: 50,
        limits: LimitsConfig {
            daily_lookups: Some(2),
            ..LimitsConfig::generous()
        },
        ..Default::default()
    })
    .unwrap();
    let id = sb.newest_call_id().to_string();
    for _ in 0..2 {
        assert_eq!(post(&sb, sb.token(), &[("cd_id", &id)]).status, 200);
    }
    let a = post(&sb, sb.token(), &[("cd_id", &id)]);
    assert_eq!(a.status, 429);
    assert_eq!(
        a.json()["return"]["status"],
        "Daily limit of status lookups reached (2). Use rurl to receive final statuses."
    );
    let secs: u64 = a.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&secs));
    // Lists still work; tomorrow lookups work again.
    assert_eq!(post(&sb, sb.token(), &[("maxreg", "1")]).status, 200);
    sb.advance_clock(Duration::from_secs(secs + 1));
    assert_eq!(post(&sb, sb.token(), &[("cd_id", &id)]).status, 200);
}

#[test]
fn spec_daily_cap_follows_the_formula() {
    let sb = Sandbox::start(SandboxConfig {
        calls: 3000,
        days: 30,
        limits: LimitsConfig::spec(),
        ..Default::default()
    })
    .unwrap();
    // 100 calls a day: 500 + 40 * (avg of the 29 earlier days in the window + today's 100).
    let cap = sb.daily_lookup_cap();
    assert_eq!(cap, 500 + 40 * (2900 / 30 + 100));
}

// ---------------------------------------------------------------- wire styles

const DDDS: [u32; 67] = [
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43,
    44, 45, 46, 47, 48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77,
    79, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
];

fn assert_valid_brazilian(dest: &str) {
    assert!(
        dest.bytes().all(|b| b.is_ascii_digit()) && dest.starts_with("55"),
        "{dest}"
    );
    let ddd: u32 = dest[2..4].parse().unwrap();
    assert!(DDDS.contains(&ddd), "{dest}");
    let sub = &dest[4..];
    match sub.len() {
        9 => assert!(sub.starts_with('9'), "{dest}"),
        8 => assert!(matches!(sub.as_bytes()[0], b'2'..=b'5'), "{dest}"),
        _ => panic!("bad length {dest}"),
    }
}

/// A JSON object's keys in document order (`serde_json::Map` sorts them).
struct Keys(Vec<String>);

impl<'de> serde::Deserialize<'de> for Keys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some((k, _)) = m.next_entry::<String, serde::de::IgnoredAny>()? {
                    keys.push(k);
                }
                Ok(Keys(keys))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(serde::Deserialize)]
struct KeyedPage {
    calls: Vec<Keys>,
}

#[test]
fn integer_style_key_order_matches_the_fixtures() {
    let sb = small(300);
    let raw = post(&sb, sb.token(), &[("maxreg", "5000")]);
    let keyed: KeyedPage = serde_json::from_str(&raw.text).unwrap();
    let calls = raw.calls();
    assert_eq!(keyed.calls.len(), calls.len());
    let order = [
        "cd_id",
        "cd_status",
        "cd_amdasw",
        "cp_id",
        "cpid",
        "ctid",
        "origin",
        "dest",
        "date",
        "time_dial",
        "time_start",
        "time_end",
        "dur",
    ];
    let tail = ["route", "rate", "value", "cdr_url", "cdr_sec"];
    for (c, k) in calls.iter().zip(&keyed.calls) {
        let keys: Vec<&str> = k.0.iter().map(String::as_str).collect();
        assert_eq!(keys[..order.len()], order);
        let n_resp = keys.iter().filter(|k| k.starts_with("resp_")).count();
        for (i, k) in keys[order.len()..order.len() + n_resp].iter().enumerate() {
            assert_eq!(*k, format!("resp_{}", i + 1));
        }
        assert_eq!(keys[order.len() + n_resp..order.len() + n_resp + 5], tail);
        assert!(
            keys[order.len() + n_resp + 5..]
                .iter()
                .all(|k| k.starts_with("cdc_extra"))
        );
        assert!(
            c["cd_id"].is_u64()
                && c["cp_id"].is_u64()
                && c["dur"].is_u64()
                && c["cdr_sec"].is_u64()
        );
        if c["cd_status"] != "OK" {
            assert_eq!(
                (c["time_start"].as_str(), c["dur"].as_u64()),
                (Some(""), Some(0))
            );
        }
        assert_valid_brazilian(c["dest"].as_str().unwrap());
        let rate = c["rate"].as_str().unwrap();
        assert!(rate.len() == 5 && rate.as_bytes()[1] == b',', "{rate}");
    }
    let counts: HashSet<usize> = calls
        .iter()
        .map(|c| {
            c.as_object()
                .unwrap()
                .keys()
                .filter(|k| k.starts_with("resp_"))
                .count()
        })
        .collect();
    assert!(counts.len() >= 3, "DTMF answer counts vary: {counts:?}");
}

#[test]
fn strings_style_with_alias_and_nulls() {
    let sb = Sandbox::start(SandboxConfig {
        calls: 30,
        wire: WireStyle {
            numbers_as_strings: true,
            id_alias: Some("42".into()),
            empty_as_null: true,
        },
        ..Default::default()
    })
    .unwrap();
    let a = post(&sb, sb.token(), &[("maxreg", "100")]);
    let j = a.json();
    assert_eq!(j["return"]["pagination"]["next_id"], "");
    for c in j["calls"].as_array().unwrap() {
        assert!(c["cd_id"].as_str().unwrap().starts_with("42_"));
        assert!(c["cp_id"].is_string() && c["dur"].is_string() && c["cdr_sec"].is_string());
        if c["cd_status"] != "OK" {
            assert!(c["time_start"].is_null());
        }
    }
    // A prefixed id works as cd_id; next_id as a digit string.
    let id = j["calls"][3]["cd_id"].as_str().unwrap().to_owned();
    assert_eq!(
        post(&sb, sb.token(), &[("cd_id", &id)]).calls()[0]["cd_id"],
        id.as_str()
    );
    let p = post(&sb, sb.token(), &[("maxreg", "2")]);
    assert!(
        p.json()["return"]["pagination"]["next_id"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    sb.set_wire_style(WireStyle::default());
    assert!(post(&sb, sb.token(), &[("maxreg", "1")]).calls()[0]["cd_id"].is_u64());
}

// ---------------------------------------------------------------- request log, loader, binary

#[test]
fn request_log_records_what_clients_sent_with_secrets_masked() {
    let sb = small(20);
    post_raw(
        &sb,
        &[
            ("tsid", sb.token()),
            ("maxreg", "1"),
            ("rurl_password", "s3cret"),
        ],
    );
    let r = &sb.request_log()[0];
    assert_eq!(
        (r.seq, r.method.as_str(), r.path.as_str()),
        (1, "POST", "/api/v2/GetCallStatus.php")
    );
    assert_eq!(r.param("tsid"), Some("SBXFULL000********"));
    assert_eq!(r.param("rurl_password"), Some("********"));
    assert!(!r.in_query("tsid"));
    assert_eq!(
        (r.auth, r.status, r.status_code.as_str()),
        (AuthMode::Tsid, 200, "0")
    );
    assert_eq!(r.kind, Some(RequestKind::List));
    assert!(format!("{:?}", sb.request_log()).find(sb.token()).is_none());
    sb.reset();
    assert!(sb.request_log().is_empty());
}

#[test]
fn records_load_from_a_json_file() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/list_all_strings.json");
    let sb = Sandbox::start(SandboxConfig {
        data_file: Some(path),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(sb.call_count(), 3);
    let a = post(&sb, sb.token(), &[("maxreg", "10"), ("origin", "crm_sync")]);
    let calls = a.calls();
    assert_eq!(ids(&calls), [1_000_203, 1_000_202, 1_000_201]);
    assert_eq!(calls[1]["resp_5"], "1");
    assert_eq!(calls[1]["value"], "0,150");
    assert_eq!(calls[1]["cdc_extra1"], "contrato 5521");
    assert!(calls[2].get("resp_1").is_none());
    assert_eq!(
        post(&sb, sb.token(), &[("cd_id", "42_1000202")])
            .calls()
            .len(),
        1
    );
    assert_eq!(
        post(
            &sb,
            sb.token(),
            &[("cpid", "cobranca-nov"), ("maxreg", "10")]
        )
        .calls()
        .len(),
        3
    );
}

#[test]
fn binary_prints_its_url_and_serves() {
    use std::io::{BufRead as _, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_velip-sandbox"))
        .args([
            "--calls",
            "1000",
            "--exit-on-stdin-eof",
            "--token",
            "my-own-token-000000000000000000:masked",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first.strip_prefix("VELIP_SANDBOX_URL=").unwrap().to_owned();
    let resp = common::agent()
        .post(format!("{url}/api/v2/GetCallStatus.php"))
        .header("Authorization", "Bearer my-own-token-000000000000000000")
        .send_form([("maxreg", "2")])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.into_body().read_to_string().unwrap();
    let j: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(j["return"]["numbers_masked"], true);
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
}

/// The hand-off to the `velip` command: `VELIP_BASE_URL`/`VELIP_TOKEN`
/// lines, and `--background` printing them as shell exports.
#[test]
fn binary_in_the_background_prints_exports_for_velip() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_velip-sandbox"))
        .args(["--background", "--calls", "100"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("export {k}='")))
            .map_or_else(
                || panic!("{k} in {text}"),
                |v| v.trim_end_matches('\'').to_owned(),
            )
    };
    let (url, token, pid) = (
        get("VELIP_BASE_URL"),
        get("VELIP_TOKEN"),
        get("VELIP_SANDBOX_PID"),
    );
    assert_eq!(url, get("VELIP_SANDBOX_URL"));
    let resp = common::agent()
        .post(format!("{url}/api/v2/GetCallStatus.php"))
        .header("Authorization", format!("Bearer {token}"))
        .send_form([("maxreg", "2")])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let killed = std::process::Command::new("kill")
        .arg(&pid)
        .status()
        .unwrap();
    assert!(killed.success());
}
