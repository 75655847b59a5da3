-- run.lua: stub, being written.
return false
