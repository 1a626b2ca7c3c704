"""Saved scenarios and estimates: who may change them, saving, the pages of one saved item
(share, edit, copy, rename, delete, reprice), exports, import and comparison."""
