-- loanbook schema 2: the model registry and the scores it gives.

CREATE TABLE score_models (
    id {{id}},
    name TEXT NOT NULL,
    version {{int}} NOT NULL,
    status TEXT NOT NULL,
    challenger_share TEXT NOT NULL DEFAULT '0',
    model_json TEXT NOT NULL,
    mapping_json TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    test_auc TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (name, version)
);

CREATE TABLE model_scores (
    id {{id}},
    model_id {{int}} NOT NULL REFERENCES score_models (id),
    scored_on TEXT NOT NULL,
    subject TEXT NOT NULL,
    score {{int}} NOT NULL,
    decided {{int}} NOT NULL
);
CREATE INDEX model_scores_model_date ON model_scores (model_id, scored_on);
