"""The editors: a document's fields as typed, both ways between document and form, the
actions that change rows, the live update, and the pages that show them. Scenarios and
estimates are two kinds of one editor (workspace.Workspace)."""
