"""Reports: reach per outlet, country, type or language (`reach`, with its row model in
`rows`), read from the message table and recorded inbound mail."""
