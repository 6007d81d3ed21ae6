-- Argo CD health check for tandem.dev/SchemaMigration.
-- Healthy: the migration reached spec.targetPhase (a migration waiting for its next promotion is Healthy).
-- Progressing: the operator is working toward the target, or has not yet seen the latest change.
-- Degraded: Stalled=True, a person must act (plan hash mismatch, immutable spec edited, SQL error, ...).
-- Suspended: spec.suspend is true.
-- A migration held at a cutover gate or waiting for contract's quiet period is Healthy too: nothing is
-- wrong, and the rollout it may wait for (the new application version) must be able to proceed.
local hs = {}
local function condition(type)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

if obj.status == nil or obj.status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Tandem operator to pick up the migration"
  return hs
end
if obj.metadata ~= nil and obj.metadata.generation ~= nil and obj.status.observedGeneration ~= nil
    and obj.status.observedGeneration < obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the Tandem operator to observe generation " .. obj.metadata.generation
  return hs
end

local stalled = condition("Stalled")
local ready = condition("Ready")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = (stalled.reason or "Stalled") .. ": " .. (stalled.message or "")
elseif obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = obj.status.message or "Suspended"
elseif ready ~= nil and (ready.status == "True" or ready.reason == "AwaitingGates" or ready.reason == "AwaitingQuiet") then
  hs.status = "Healthy"
  hs.message = obj.status.message or ("Reached " .. obj.status.phase)
else
  hs.status = "Progressing"
  hs.message = obj.status.message or obj.status.phase
end
return hs
