// Keeps the testutil library non-empty before any helper exists.
