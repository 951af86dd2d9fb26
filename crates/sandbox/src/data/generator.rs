//! Deterministic generator of realistic call records.
//!
//! Same seed and size, same data: ids ascend with time (so newest first means
//! descending id), calls are spread over campaigns and days, with a realistic
//! status and AMD mix, a varying number of DTMF answers, valid Brazilian
//! mobile and landline numbers, decimal-comma rates and values, recordings,
//! some empty and some shared correlation ids, and customer extra fields
//! holding long digit runs (masked like numbers).

use super::store::{FIELD_SEP, KV_SEP, NO_TIME, Row, Store, StrRef, days_of};
use crate::config::SandboxConfig;

/// The assigned Brazilian area codes (DDD).
pub(crate) const DDDS: [u8; 67] = [
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43,
    44, 45, 46, 47, 48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77,
    79, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
];

const FIRST_ID: u64 = 1_000_001;
const DAY_START: u32 = 8 * 3600;
const DAY_SPAN: u32 = 13 * 3600;

/// Per-campaign knobs.
#[derive(Clone, Copy, Debug)]
struct Knobs {
    amd: bool,
    recording: bool,
    prompts: u8,
    mobile_rate: u32,
    landline_rate: u32,
}

/// Generator state kept with the store so more calls can be inserted later.
#[derive(Debug)]
pub(crate) struct GenState {
    rng: fastrand::Rng,
    seed: u64,
    knobs: Vec<Knobs>,
    /// Campaign index new calls go to.
    head_campaign: u32,
    last_date: i32,
    last_time: u32,
    counter: u64,
    prev_ctid: StrRef,
    prev_campaign: u32,
}

fn knobs_for(seed: u64, idx: u32) -> Knobs {
    let mut rng =
        fastrand::Rng::with_seed(seed ^ (u64::from(idx) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    Knobs {
        amd: rng.u8(0..10) < 7,
        recording: rng.bool(),
        prompts: [0, 1, 1, 2, 3, 3, 4, 5][rng.usize(0..8)],
        mobile_rate: [50, 50, 60, 45][rng.usize(0..4)],
        landline_rate: [120, 30, 30, 80][rng.usize(0..4)],
    }
}

fn cpid_for(idx: u32, date: &str) -> String {
    match idx % 6 {
        0 => format!("lote-{date}"),
        1 => "aviso-semanal".to_owned(),
        2 => format!("cobranca-{idx}"),
        3 => String::new(),
        4 => "pesquisa-nps".to_owned(),
        _ => format!("lembrete-{idx}"),
    }
}

/// Generates the configured number of calls.
pub(crate) fn generate(cfg: &SandboxConfig) -> Store {
    let n = cfg.calls;
    let days = cfg.days.max(1) as usize;
    let last_day = days_of(cfg.last_day);
    let first_day = last_day - i32::try_from(days - 1).unwrap_or(0);
    let per_day = n.div_ceil(days).max(1);
    let per_campaign = (n / 40).clamp(50, 5000);

    let mut store = Store::new();
    store.rows.reserve(n);
    let mut generator_state = GenState {
        rng: fastrand::Rng::with_seed(cfg.seed),
        seed: cfg.seed,
        knobs: Vec::new(),
        head_campaign: 0,
        last_date: first_day,
        last_time: DAY_START,
        counter: 0,
        prev_ctid: StrRef::EMPTY,
        prev_campaign: u32::MAX,
    };
    let mut id = FIRST_ID;
    for i in 0..n {
        let date = first_day + i32::try_from(i / per_day).unwrap_or(0);
        let within = (i % per_day) as u64;
        let time =
            DAY_START + u32::try_from(within * u64::from(DAY_SPAN) / per_day as u64).unwrap_or(0);
        let block = u32::try_from(i / per_campaign).unwrap_or(0);
        let campaign = block + generator_state.rng.u32(0..3);
        generator_state.push_row(&mut store, id, date, time, campaign);
        id += 1 + if generator_state.rng.u8(0..10) == 0 {
            generator_state.rng.u64(1..5)
        } else {
            0
        };
    }
    generator_state.last_date = store.rows.last().map_or(last_day, |r| r.date);
    generator_state.last_time = store.rows.last().map_or(DAY_START, |r| r.time_dial);
    store.generator_state = Some(generator_state);
    store
}

/// Appends `n` new calls at the head (higher ids, latest day, later times).
pub(crate) fn insert(store: &mut Store, n: usize, seed: u64) -> Vec<u64> {
    let mut generator_state = store.generator_state.take().unwrap_or_else(|| GenState {
        rng: fastrand::Rng::with_seed(seed ^ store.max_id()),
        seed,
        knobs: Vec::new(),
        head_campaign: 0,
        last_date: store.rows.last().map_or(0, |r| r.date),
        last_time: store.rows.last().map_or(DAY_START, |r| r.time_dial),
        counter: store.rows.len() as u64,
        prev_ctid: StrRef::EMPTY,
        prev_campaign: u32::MAX,
    });
    let mut ids = Vec::with_capacity(n);
    let mut id = store.max_id().max(FIRST_ID - 1);
    for _ in 0..n {
        id += 1;
        generator_state.last_time =
            (generator_state.last_time + generator_state.rng.u32(1..20)).min(86_399);
        let (date, time) = (generator_state.last_date, generator_state.last_time);
        let campaign = generator_state.head_campaign;
        generator_state.push_row(store, id, date, time, campaign);
        ids.push(id);
    }
    store.generator_state = Some(generator_state);
    ids
}

impl GenState {
    fn knobs(&mut self, idx: u32) -> Knobs {
        while self.knobs.len() <= idx as usize {
            let k = knobs_for(self.seed, u32::try_from(self.knobs.len()).unwrap_or(0));
            self.knobs.push(k);
        }
        self.knobs[idx as usize]
    }

    fn push_row(
        &mut self,
        store: &mut Store,
        id: u64,
        date: i32,
        time_dial: u32,
        campaign_no: u32,
    ) {
        let knobs = self.knobs(campaign_no);
        self.head_campaign = campaign_no;
        let cp_id = 1000 + u64::from(campaign_no);
        let campaign = if let Some(i) = store.campaigns.iter().rposition(|c| c.cp_id == cp_id) {
            u32::try_from(i).unwrap_or(0)
        } else {
            let day = super::store::date_of(date).format("%Y-%m-%d").to_string();
            let customer_id = cpid_for(campaign_no, &day);
            store.campaign_index(cp_id, &customer_id)
        };
        let rng = &mut self.rng;
        self.counter += 1;

        // Destination.
        let ddd = u64::from(DDDS[rng.usize(0..DDDS.len())]);
        let mobile = rng.u8(0..10) < 7;
        let dest = if mobile {
            55 * 100_000_000_000 + ddd * 1_000_000_000 + 900_000_000 + rng.u64(0..100_000_000)
        } else {
            55 * 10_000_000_000
                + ddd * 100_000_000
                + rng.u64(2..6) * 10_000_000
                + rng.u64(0..10_000_000)
        };
        let route_name = if mobile {
            "Mobile BR"
        } else if ddd < 20 {
            "Fixo SP"
        } else {
            "Fixo BR"
        };
        let route = store.intern_route(route_name);
        let rate = if mobile {
            knobs.mobile_rate
        } else {
            knobs.landline_rate
        };

        // Status and AMD.
        let status = match rng.u8(0..100) {
            0..55 => 0,  // OK
            55..65 => 1, // BUSY
            65..85 => 2, // NOANSWER
            85..90 => 3, // CANCEL
            90..93 => 4, // CONGESTION
            93..98 => 5, // CHANUNAVAIL
            _ => 6,      // FAILED
        };
        let answered = status == 0;
        let amd = if !knobs.amd {
            0
        } else if answered {
            match rng.u8(0..100) {
                0..65 => 2,
                65..95 => 1,
                _ => 3,
            }
        } else if rng.bool() {
            3
        } else {
            0
        };

        // Times, duration, money.
        let (time_start, time_end, dur) = if answered {
            let start = (time_dial + rng.u32(3..15)).min(86_399);
            let dur = if rng.u8(0..10) < 7 {
                rng.u32(5..90)
            } else {
                rng.u32(90..600)
            };
            (start, (start + dur).min(86_399), dur)
        } else {
            (NO_TIME, NO_TIME, 0)
        };
        let value = rate * dur.div_ceil(60);

        // DTMF answers: how many prompts were reached varies per record.
        let mut resp_count = 0u8;
        let mut has_dtmf = false;
        let resp_start = store.arena_len();
        if knobs.prompts > 0 {
            if answered && amd != 1 {
                resp_count = rng.u8(1..=knobs.prompts);
                for k in 0..resp_count {
                    if k > 0 {
                        store.arena_push_char(FIELD_SEP);
                    }
                    match rng.u8(0..20) {
                        0..3 => {}
                        3..5 => store.arena_push_fmt(format_args!("{}", rng.u32(10_000..100_000))),
                        5 => store.arena_push_fmt(format_args!(
                            "{:02}{:02}{}",
                            rng.u8(1..29),
                            rng.u8(1..13),
                            rng.u16(1950..2006)
                        )),
                        _ => store.arena_push_fmt(format_args!("{}", rng.u8(0..10))),
                    }
                }
                has_dtmf = store.arena_len() > resp_start + usize::from(resp_count - 1);
            } else if rng.bool() {
                resp_count = knobs.prompts;
                for _ in 1..resp_count {
                    store.arena_push_char(FIELD_SEP);
                }
            }
        }
        let resp = store.arena_span(resp_start);

        // Correlation id: some empty, some shared with the previous call.
        let ctid = match rng.u8(0..100) {
            0..10 => StrRef::EMPTY,
            10..16 if self.prev_campaign == campaign && !self.prev_ctid.is_empty() => {
                self.prev_ctid
            }
            _ => {
                let start = store.arena_len();
                store.arena_push_fmt(format_args!("row-{}", self.counter));
                store.arena_span(start)
            }
        };
        self.prev_ctid = ctid;
        self.prev_campaign = campaign;

        // Customer extra fields (with long digit runs that get masked).
        let extras = if rng.u8(0..10) < 3 {
            let start = store.arena_len();
            store.arena_push_fmt(format_args!(
                "cdc_extra1{KV_SEP}contrato {:011}",
                rng.u64(10_000_000_000..99_999_999_999)
            ));
            if rng.bool() {
                store.arena_push_fmt(format_args!(
                    "{FIELD_SEP}cdc_extra2{KV_SEP}pedido {}",
                    rng.u32(1..1000)
                ));
            }
            store.arena_span(start)
        } else {
            StrRef::EMPTY
        };

        let recorded = answered && knobs.recording;
        store.rows.push(Row {
            id,
            dest,
            date,
            time_dial,
            time_start,
            time_end,
            dur,
            cdr_sec: if recorded { dur } else { 0 },
            rate,
            value,
            campaign,
            status,
            route,
            amd,
            resp_count,
            has_dtmf,
            cdr_derived: recorded,
            in_progress: false,
            ctid,
            resp,
            extras,
            cdr_url: StrRef::EMPTY,
        });
    }
}
