"""Learner and educator pages: server-rendered Django templates, htmx for partial updates."""
