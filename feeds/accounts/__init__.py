"""Who may sign in and with what: users, API tokens, login sessions and failed-login counts."""
