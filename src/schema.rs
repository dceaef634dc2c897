//! JSON Schema of the events and the report, generated from their types. The files under
//! `schema/` are this module's output; `tests/integration/schema.rs` fails when they differ
//! and rewrites them with `UPDATE_SCHEMA=1`.

use crate::event::Event;
use crate::report::Report;

/// The schema every line of `--events` validates against.
pub fn event() -> schemars::Schema {
    generator().into_root_schema_for::<Event<'static>>()
}

/// The schema the `--report` document validates against.
pub fn report() -> schemars::Schema {
    generator().into_root_schema_for::<Report<'static>>()
}

/// Draft 2020-12, describing what the types serialize: a field that is an `Option` is
/// present (maybe null) unless it is skipped when empty, in which case it is absent, never
/// null.
fn generator() -> schemars::SchemaGenerator {
    schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
}

/// The published files: (path under the repository, schema).
pub fn files() -> [(&'static str, schemars::Schema); 2] {
    [
        ("schema/event.schema.json", event()),
        ("schema/report.schema.json", report()),
    ]
}

/// A schema as its file holds it: pretty-printed, with a final newline.
pub fn text(s: &schemars::Schema) -> String {
    let mut t = serde_json::to_string_pretty(s).unwrap_or_default();
    t.push('\n');
    t
}
