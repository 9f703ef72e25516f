-- Zone and conduit conformance: observed flows x the plant's policy tables -> verdicts (design §5).
--
-- Inputs (analysis/policy.py builds them; names and columns are this file's contract):
--   flows(first_seen, last_seen, src, dst, sport, dport, l4, app, ops MAP(TEXT, BIGINT), packets, ...)
--   addresses(address, key BLOB, special BOOL)      every distinct flow address, 16-byte key
--   hosts(address, key BLOB, asset, zone, type, retired BOOL)
--                                                   the plant's asset addresses, one row each: a live asset's,
--                                                   else a decommissioned one's (retired: it should be silent)
--   networks(zone, lo BLOB, hi BLOB, prefix INT)    zone networks as key ranges
--   zones(zone, level DOUBLE, trust, internal)
--   conduits(conduit, za, zb)                       za < zb
--   rules(rule_id, conduit, za, zb, from_asset, from_zone, to_asset, to_zone, protocol, port, both, ops)
--                                                   conduit rules (za < zb) and zone-internal rules (za = zb)
--   op_classes(app, op, class)
-- Output: one row per verdict, grouped over flows (flows that share src, dst, dport, l4 and app are
-- judged once, as one group); ids, severities and messages are added by
-- analysis/conformance.py. Plain SQL with DuckDB's list and map functions; the fleet engine runs
-- the same statement on Spark SQL (map_keys, array_contains instead of list_contains).

WITH
-- each address: its asset (exact address first), else the most specific zone network holding it
located AS (
    SELECT a.address, a.special, h.asset, h.type, COALESCE(h.retired, false) AS retired,
           COALESCE(h.zone, (SELECT n.zone FROM networks n WHERE a.key BETWEEN n.lo AND n.hi
                             ORDER BY n.prefix DESC, n.zone LIMIT 1)) AS zone
    FROM addresses a
    LEFT JOIN hosts h ON h.key = a.key  -- by key: ::ffff:10.1.0.10 is the asset at 10.1.0.10
    WHERE a.key IS NOT NULL
),
-- flows that share endpoints, service and application are judged once: the judging depends on nothing else
grouped AS (
    SELECT src, dst, dport, l4, app, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
           sum(packets) AS packets, count(*) AS flows
    FROM flows
    GROUP BY src, dst, dport, l4, app
),
group_ops AS (
    SELECT src, dst, dport, l4, app, e.key AS op, sum(e.value) AS n
    FROM (SELECT src, dst, dport, l4, app, unnest(map_entries(ops)) AS e FROM flows WHERE cardinality(ops) > 0)
    GROUP BY src, dst, dport, l4, app, e.key
),
f AS (
    SELECT row_number() OVER () AS fid, g.*,
           s.asset AS src_asset, s.zone AS src_zone, d.asset AS dst_asset, d.zone AS dst_zone, d.type AS dst_type,
           d.special AS dst_special, s.special AS src_special
    FROM grouped g
    JOIN located s ON s.address = g.src
    JOIN located d ON d.address = g.dst
),
-- a flow's scope: inside one zone (or to a broadcast/multicast group), across two zones, or unknown
scoped AS (
    SELECT f.*,
           CASE WHEN f.src_zone IS NULL THEN NULL
                WHEN f.dst_special OR f.src_zone = f.dst_zone THEN 'internal'
                WHEN f.dst_zone IS NULL THEN NULL
                ELSE 'cross' END AS scope,
           CASE WHEN f.dst_special OR f.src_zone = f.dst_zone THEN f.src_zone
                ELSE least(f.src_zone, f.dst_zone) END AS za,
           CASE WHEN f.dst_special OR f.src_zone = f.dst_zone THEN f.src_zone
                ELSE greatest(f.src_zone, f.dst_zone) END AS zb
    FROM f
    WHERE f.l4 IN ('tcp', 'udp')  -- flow rules name TCP and UDP services; other IP traffic only locates addresses
),
-- the rules each flow satisfies: endpoints (asset, or any address of a zone), direction, protocol, port
matched AS (
    SELECT s.fid, r.rule_id, r.conduit, r.ops
    FROM scoped s
    JOIN rules r ON r.za = s.za AND r.zb = s.zb
    LEFT JOIN zones z ON z.zone = s.src_zone
    WHERE (s.scope = 'cross' OR (s.scope = 'internal' AND z.internal = 'deny'))  -- an allow zone restricts nothing
      AND (r.port IS NULL OR r.port = s.dport)
      AND (r.protocol IS NULL OR r.protocol = s.app OR r.protocol = s.l4
           OR (r.protocol IN ('https', 'tls') AND s.app IN ('https', 'tls')))
      AND ((  (r.from_asset = s.src_asset OR (r.from_asset IS NULL AND r.from_zone = s.src_zone))
          AND (r.to_asset = s.dst_asset OR (r.to_asset IS NULL AND (r.to_zone = s.dst_zone OR s.dst_special))))
        OR (r.both
          AND (r.from_asset = s.dst_asset OR (r.from_asset IS NULL AND r.from_zone = s.dst_zone))
          AND (r.to_asset = s.src_asset OR (r.to_asset IS NULL AND r.to_zone = s.src_zone))))
),
-- the conduit of each pair of zones (the first by id when two conduits join the same zones)
pair_conduit AS (SELECT za, zb, min(conduit) AS conduit FROM conduits GROUP BY za, zb),
unmatched AS (
    SELECT s.*, CASE WHEN s.scope = 'cross' AND pc.za IS NULL THEN 'no_conduit' ELSE 'not_allowed' END AS kind,
           pc.conduit
    FROM scoped s
    ANTI JOIN matched m ON m.fid = s.fid
    LEFT JOIN pair_conduit pc ON pc.za = s.za AND pc.zb = s.zb
    LEFT JOIN zones z ON z.zone = s.src_zone
    WHERE s.scope IS NOT NULL
      AND (s.scope = 'cross' OR z.internal = 'deny')
),
-- operations of matched flows that no matching rule allows (by name, by class; unclassified ones pass)
matched_conduit AS (SELECT fid, min(conduit) AS conduit FROM matched GROUP BY fid),
flow_ops AS (
    SELECT s.fid, go.op, go.n, oc.class
    FROM scoped s
    SEMI JOIN matched_conduit mc ON mc.fid = s.fid
    JOIN group_ops go ON go.src = s.src AND go.dst = s.dst AND go.dport = s.dport AND go.l4 = s.l4
                     AND go.app = s.app
    JOIN op_classes oc ON oc.app = s.app AND oc.op = go.op
),
allowed_ops AS (
    SELECT DISTINCT o.fid, o.op
    FROM flow_ops o
    JOIN matched m ON m.fid = o.fid
    WHERE m.ops IS NULL OR list_contains(m.ops, o.op) OR list_contains(m.ops, o.class)
),
bad_ops AS (
    SELECT o.fid, o.op, o.n, o.class, mc.conduit
    FROM flow_ops o
    JOIN matched_conduit mc ON mc.fid = o.fid
    ANTI JOIN allowed_ops a ON a.fid = o.fid AND a.op = o.op
),
-- clear-text remote access into a more trusted zone (lower Purdue level, or untrusted -> trusted)
cleartext AS (
    SELECT s.*, pc.conduit
    FROM scoped s
    JOIN zones zs ON zs.zone = s.src_zone
    JOIN zones zd ON zd.zone = s.dst_zone
    LEFT JOIN pair_conduit pc ON pc.za = s.za AND pc.zb = s.zb
    WHERE s.scope = 'cross'
      AND (s.app IN ('telnet', 'ftp', 'vnc')
           OR (s.app = 'http' AND (s.dst_type IS NULL OR s.dst_type IN ('embedded_device', 'network_device'))))
      AND (zd.level < zs.level OR (zs.trust = 'untrusted' AND zd.trust = 'trusted'))
),
-- every address with the flows it takes part in, either side
seen AS (
    SELECT src AS address, first_seen, last_seen, packets, flows FROM f
    UNION ALL SELECT dst, first_seen, last_seen, packets, flows FROM f
),
-- addresses no asset claims: inside a trusted zone's networks (uninventoried), or in no zone at all
stray AS (
    SELECT l.address, l.zone, CASE WHEN l.zone IS NULL THEN 'outside_zones' ELSE 'uninventoried' END AS kind
    FROM located l
    LEFT JOIN zones z ON z.zone = l.zone
    WHERE l.asset IS NULL AND NOT l.special AND (l.zone IS NULL OR z.trust = 'trusted')
),
verdicts AS (
    SELECT kind, conduit, src_zone, dst_zone, COALESCE(src_asset, src) AS src_end, COALESCE(dst_asset, dst) AS dst_end,
           src_asset, dst_asset, app, dport, NULL::VARCHAR AS op, NULL::VARCHAR AS op_class, NULL::VARCHAR AS rule_id,
           min(first_seen) AS first_seen, max(last_seen) AS last_seen, sum(packets) AS packets, sum(flows) AS flows,
           NULL::BIGINT AS pdus, min(src) AS src, min(dst) AS dst
    FROM unmatched
    GROUP BY ALL
    UNION ALL
    SELECT 'op_not_allowed', b.conduit, s.src_zone, s.dst_zone, COALESCE(s.src_asset, s.src),
           COALESCE(s.dst_asset, s.dst), s.src_asset, s.dst_asset, s.app, s.dport, b.op, b.class, NULL,
           min(s.first_seen), max(s.last_seen), sum(s.packets), sum(s.flows), sum(b.n), min(s.src), min(s.dst)
    FROM bad_ops b JOIN scoped s ON s.fid = b.fid
    GROUP BY ALL
    UNION ALL
    SELECT 'cleartext_remote_access', conduit, src_zone, dst_zone, COALESCE(src_asset, src),
           COALESCE(dst_asset, dst), src_asset, dst_asset, app, dport, NULL, NULL, NULL,
           min(first_seen), max(last_seen), sum(packets), sum(flows), NULL, min(src), min(dst)
    FROM cleartext
    GROUP BY ALL
    UNION ALL
    SELECT st.kind, NULL, st.zone, NULL, st.address, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           min(e.first_seen), max(e.last_seen), sum(e.packets), sum(e.flows), NULL, st.address, NULL
    FROM stray st
    JOIN seen e ON e.address = st.address
    GROUP BY ALL
    UNION ALL
    -- an address of a decommissioned asset (and of no live one) that still carries traffic
    SELECT 'decommissioned', NULL, l.zone, NULL, l.address, NULL, l.asset, NULL, NULL, NULL, NULL, NULL, NULL,
           min(e.first_seen), max(e.last_seen), sum(e.packets), sum(e.flows), NULL, l.address, NULL
    FROM located l
    JOIN seen e ON e.address = l.address
    WHERE l.retired
    GROUP BY ALL
    UNION ALL
    SELECT 'unused_rule', r.conduit, r.za, r.zb, COALESCE(r.from_asset, r.from_zone), COALESCE(r.to_asset, r.to_zone),
           r.from_asset, r.to_asset, r.protocol, r.port, NULL, NULL, r.rule_id,
           NULL, NULL, 0, 0, NULL, NULL, NULL
    FROM rules r
    WHERE r.rule_id NOT IN (SELECT rule_id FROM matched)
)
SELECT * FROM verdicts
ORDER BY kind, conduit NULLS FIRST, src_end, dst_end, app NULLS FIRST, dport NULLS FIRST, op NULLS FIRST, rule_id
