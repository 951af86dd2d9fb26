//! `velip calls stats`: a selection summed up page by page
//! (`velip_store::stats::Stats`), printed as a table, JSON or CSV.

use std::io::Write;

use velip_store::stats::Stats;

use crate::args::calls::stats::{StatsArgs, StatsFormat};
use crate::context::Context;
use crate::exit::Failure;
use crate::output;
use crate::progress::Progress;

/// The checks made before anything starts (see [`super::check`]).
pub(crate) fn check(a: &StatsArgs) -> Result<(), Failure> {
    super::csv_locale_only_for_csv(a.csv, a.format == StatsFormat::Csv)?;
    a.filters.query(5000).map(drop)
}

pub(crate) fn run(ctx: &Context, a: &StatsArgs) -> Result<(), Failure> {
    let query = a.filters.query(5000)?;
    output::notes::resolved_days(ctx, &a.filters, &query);
    let mut walk = ctx.client.list_calls(query).prefetch_depth(1);
    let mut stats = Stats::new();
    let mut progress = Progress::new(ctx.quiet);
    let result = loop {
        if ctx.is_interrupted() {
            break Err(Failure::from(velip_blocking::Error::Interrupted));
        }
        match walk.next_page() {
            None => break Ok(()),
            Some(Err(e)) => break Err(Failure::from(e)),
            Some(Ok(page)) => {
                stats.add_page(&page);
                progress.update(stats.records(), walk.pages_fetched(), walk.warnings().len());
            }
        }
    };
    progress.finish();
    // A failed walk prints no partial figures: they would look final.
    result?;
    let report = stats.report();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match a.format {
        StatsFormat::Table => output::stats::table(&mut out, &report, a.top),
        StatsFormat::Json => serde_json::to_writer_pretty(&mut out, &report)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        StatsFormat::Csv => output::stats::csv(&mut out, &report, a.csv.dialect()),
    }
    .and_then(|()| out.flush())
    .map_err(|e| Failure::stdout(&e))?;
    output::notes::walk_notes(ctx, walk.warnings(), walk.numbers_masked());
    if report.records == 0 {
        output::notes::empty_result(ctx);
    }
    Ok(())
}
