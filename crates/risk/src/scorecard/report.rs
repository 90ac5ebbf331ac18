//! A validation report a credit committee can read: one HTML page with the model's
//! quality and SVG charts (score distribution of goods and bads, ROC, KS), no scripts.
