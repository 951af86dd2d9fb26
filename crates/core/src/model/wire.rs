//! A record's wire form: the service's own JSON shape of a call record
//! (`cd_id`, `cd_status`, `dest`, `resp_1`, ...), for anything that writes
//! what the service would send (pickle, test servers, fixtures).

use serde_json::{Map, Value};

use super::CallRecord;

impl CallRecord {
    /// The record in the service's wire shape: every set field under its
    /// wire key, as the service writes it (numbers as JSON numbers, money
    /// with a decimal comma `"0,050"`, dates `YYYY-MM-DD`, times
    /// `HH:MM:SS`, the destination as digits `5511999999999`, DTMF answers
    /// as `resp_1..resp_N`), plus every key of [`extra`](Self::extra).
    /// A record with [`problems`](Self::problems) gives back the JSON it was
    /// read from ([`raw_json`](Self::raw_json)), so that nothing unread is
    /// lost.
    ///
    /// Decoding the wire form gives the same record:
    ///
    /// ```
    /// use velip_core::decode::decode_record;
    /// let body = br#"{"cd_id":"42_7","cd_status":"OK","dest":"5511999999999","value":"0,050","resp_2":"9"}"#;
    /// let r = decode_record(body).unwrap();
    /// let wire = serde_json::to_vec(&r.to_wire()).unwrap();
    /// assert_eq!(decode_record(&wire).unwrap(), r);
    /// ```
    pub fn to_wire(&self) -> Map<String, Value> {
        if let Some(Ok(Value::Object(m))) =
            self.raw_json.as_deref().map(serde_json::from_str::<Value>)
        {
            return m;
        }
        let mut m = Map::new();
        for (k, v) in &self.extra {
            m.insert(k.clone(), v.clone());
        }
        let mut text = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), Value::String(v));
            }
        };
        text("cd_id", Some(self.call_id.to_string()));
        text(
            "cd_status",
            self.status.as_ref().map(|s| s.as_wire().to_owned()),
        );
        text(
            "cd_amdasw",
            self.amd.as_ref().map(|s| s.as_wire().to_owned()),
        );
        text("cpid", self.campaign_ref.clone());
        text("ctid", self.correlation_id.clone());
        text("origin", self.origin.clone());
        text(
            "dest",
            self.destination
                .as_ref()
                .map(super::super::phone::Destination::to_wire),
        );
        text("date", self.date.map(|d| d.format("%Y-%m-%d").to_string()));
        let time = |t: Option<chrono::NaiveTime>| t.map(|t| t.format("%H:%M:%S").to_string());
        text("time_dial", time(self.dial_time));
        text("time_start", time(self.answer_time));
        text("time_end", time(self.hangup_time));
        text("route", self.route.clone());
        text("rate", self.rate.map(crate::money::to_brl_string));
        text("value", self.value.map(crate::money::to_brl_string));
        text("cdr_url", self.recording_url.clone());
        for (i, d) in self.dtmf.iter().enumerate() {
            text(&format!("resp_{}", i + 1), Some(d.clone()));
        }
        let mut number = |k: &str, v: Option<u64>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), Value::from(v));
            }
        };
        number("cp_id", self.campaign_id);
        number("dur", self.duration_seconds);
        number("cdr_sec", self.recording_seconds);
        m
    }
}
