"""Gallery views, by topic: the grid (gallery), one clip (clip), its files (files), sharing (share)."""
