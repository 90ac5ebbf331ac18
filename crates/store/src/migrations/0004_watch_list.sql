-- loanbook schema 4: AML watch lists, versioned by import.

CREATE TABLE watch_list_versions (
    version {{id}},
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    entries {{int}} NOT NULL,
    source TEXT NOT NULL
);

CREATE TABLE watch_list_entries (
    id {{id}},
    version {{int}} NOT NULL REFERENCES watch_list_versions (version),
    list_name TEXT NOT NULL,
    name TEXT NOT NULL,
    name_normalised TEXT NOT NULL,
    id_number_hash TEXT,
    id_number_masked TEXT,
    reason TEXT NOT NULL
);
CREATE INDEX watch_list_entries_version ON watch_list_entries (version);
