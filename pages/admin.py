"""Admin: where the audit trail lives, whether its hash chain is intact, and a search over it."""

import streamlit as st

from components import audit, auth

auth.require_page("Admin")
st.title("Admin")
entries = audit.verification()
audit.search_view(entries)
