-- qdel.lua: stub, being written.
return false
