"""GenoLens server entry point: ``streamlit run serve.py`` serves ``app.py`` (the dashboard router) through
Streamlit's ASGI ``st.App`` with :class:`components.web_guard.WebGuard` in front: security headers on every
response, and ``/media/`` downloads only with a valid sign-in when sign-in is configured.

AppTest-based tests still run ``app.py`` directly; ``streamlit run app.py`` works but serves without the guard.
"""

import streamlit as st
from starlette.middleware import Middleware

from components.web_guard import WebGuard

app = st.App("app.py", middleware=[Middleware(WebGuard)])
