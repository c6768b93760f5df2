-- Start-up lists the schedules whose claimed charge is unsettled: through their few rows,
-- not a scan of every schedule (store.HotQueryPlans).
CREATE INDEX schedules_in_flight ON schedules (id) WHERE in_flight <> 0;
