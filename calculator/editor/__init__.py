"""The editors: a document's fields as typed, both ways between document and form, the
actions that change rows, and the live update's fast path. Scenarios and estimates are two
kinds of one editor (workspace.Workspace); the pages that use them are calculator/pages.py's
and calculator/saved/views.py's."""
