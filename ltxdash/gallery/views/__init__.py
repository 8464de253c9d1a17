"""Gallery views, by topic: the grid (gallery), one clip (clip), its files (outputs), sharing
(share), many clips at once as CSV or ZIP (export)."""
