/**
 * The Grafana dashboards of a MATRIZ Registry, as code (@grafana/grafana-foundation-sdk
 * builders). `npm run dashboards` writes them to ops/grafana/dashboards/*.json;
 * test/ops/grafana-dashboards.test.ts keeps the files equal to this code, and
 * test/ops/prometheus-live.test.ts runs every panel's query against a real Prometheus scraping a
 * real `matriz serve`. Queries select `job="matriz"` (the server) or `job="node"` (node_exporter's
 * textfile collector, for the governance tools), the jobs of ops/prometheus/prometheus.yml.
 *
 * The classic dashboard JSON model (the SDK's `dashboard`), which the SDK marks deprecated in
 * favour of `dashboardv2`: file provisioning of every current Grafana reads the classic model,
 * while v2 needs Grafana 12 with its new dashboard API turned on.
 */
/* eslint-disable @typescript-eslint/no-deprecated -- the classic model on purpose, see above */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  RowBuilder,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

interface Query {
  readonly expr: string;
  readonly legend?: string;
}

function queries(list: readonly Query[]): cog.Builder<cog.Dataquery>[] {
  return list.map((query, i) => {
    const builder = new DataqueryBuilder()
      .expr(query.expr)
      .refId(String.fromCharCode(65 + i))
      .datasource(DATASOURCE);
    return query.legend === undefined ? builder : builder.legendFormat(query.legend);
  });
}

function timeseries(title: string, unit: string, list: readonly Query[], description: string) {
  return new TimeseriesBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .datasource(DATASOURCE)
    .height(8)
    .span(12)
    .targets(queries(list));
}

function stat(title: string, unit: string, query: Query, description: string) {
  return new StatBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .datasource(DATASOURCE)
    .height(5)
    .span(6)
    .targets(queries([query]));
}

function base(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['matriz'])
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('utc')
    .withVariable(
      new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'),
    );
}

const WRITE = 'route="/api/v1/registry/register",method="POST"';

function overview(): Dashboard {
  return base(
    'matriz-overview',
    'MATRIZ Registry overview',
    'Writes, latency, refusals and the log: is the registry healthy, fresh and keeping up?',
  )
    .withRow(new RowBuilder('Log'))
    .withPanel(
      stat(
        'Tree size',
        'short',
        { expr: 'max(registry_tree_size{job="matriz"})' },
        'Leaves in the log.',
      ),
    )
    .withPanel(
      stat(
        'Checkpoint age',
        's',
        { expr: 'max(registry_checkpoint_age_seconds{job="matriz"})' },
        'Now minus the newest checkpoint signed time; alert MatrizCheckpointStale above 180 s.',
      ),
    )
    .withPanel(
      stat(
        'Sequencer queue depth',
        'short',
        { expr: 'sum(registry_sequencer_queue_depth{job="matriz"})' },
        'Accepted writes waiting for a batch.',
      ),
    )
    .withPanel(
      stat(
        'Stored nonces',
        'short',
        { expr: 'sum(registry_nonces{job="matriz"})' },
        'Request nonces kept to refuse replays.',
      ),
    )
    .withRow(new RowBuilder('Requests'))
    .withPanel(
      timeseries(
        'Writes per second',
        'reqps',
        [
          {
            expr: `sum by (status) (rate(http_requests_total{job="matriz",${WRITE}}[5m]))`,
            legend: '{{status}}',
          },
        ],
        'Register requests by answer status.',
      ),
    )
    .withPanel(
      timeseries(
        'Write latency',
        's',
        [
          {
            expr: `histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{job="matriz",${WRITE}}[5m])))`,
            legend: 'p50',
          },
          {
            expr: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="matriz",${WRITE}}[5m])))`,
            legend: 'p95 (alert above 250 ms)',
          },
        ],
        'Time to a durable, signed answer.',
      ),
    )
    .withPanel(
      timeseries(
        'Refusals by problem',
        'reqps',
        [
          {
            expr: 'sum by (problem) (rate(registry_refusals_total{job="matriz"}[5m]))',
            legend: '{{problem}}',
          },
        ],
        'Refused requests by RFC 9457 problem slug (docs/api.md).',
      ),
    )
    .withPanel(
      timeseries(
        'Rejections by reason',
        'reqps',
        [
          {
            expr: 'sum by (reason) (rate(registry_rejections_total{job="matriz"}[5m]))',
            legend: '{{reason}}',
          },
        ],
        'Refused before any route: rate limit or back-pressure.',
      ),
    )
    .build();
}

function pqc(): Dashboard {
  return base(
    'matriz-pqc',
    'MATRIZ Registry PQC',
    'ML-DSA-44 checkpoint signing, owner-signature verification and the crypto backend.',
  )
    .withPanel(
      stat(
        'ML-DSA backend',
        'short',
        {
          expr: 'max by (crypto_backend, version, node) (matriz_build_info{job="matriz"})',
          legend: '{{crypto_backend}} (matriz {{version}}, Node.js {{node}})',
        },
        'liboqs is the fast backend; noble the pure TypeScript one.',
      ),
    )
    .withPanel(
      stat(
        'Start-up self-tests',
        'short',
        {
          expr: 'min by (algorithm, backend) (pqc_self_test_passed{job="matriz"})',
          legend: '{{algorithm}} on {{backend}}',
        },
        'Known-answer tests each suite passed before first use: 1 passed; a failed suite is never used.',
      ),
    )
    .withPanel(
      timeseries(
        'Checkpoint signing latency',
        's',
        [
          {
            expr: 'histogram_quantile(0.95, sum by (le) (rate(pqc_sign_duration_seconds_bucket{job="matriz"}[5m])))',
            legend: 'p95 (alert above 50 ms)',
          },
        ],
        'ML-DSA-44 signing of one checkpoint.',
      ),
    )
    .withPanel(
      timeseries(
        'Owner-signature verification latency',
        's',
        [
          {
            expr: 'histogram_quantile(0.95, sum by (le) (rate(pqc_verify_duration_seconds_bucket{job="matriz"}[5m])))',
            legend: 'p95 (alert above 10 ms)',
          },
        ],
        'Signature check of one write request, in the verify worker pool.',
      ),
    )
    .withPanel(
      timeseries(
        'Verifications by result',
        'ops',
        [
          {
            expr: 'sum by (result) (rate(registry_verify_total{job="matriz"}[5m]))',
            legend: '{{result}}',
          },
        ],
        'Owner-signature checks; a rising invalid share fires MatrizVerifyFailureRatioHigh.',
      ),
    )
    .withPanel(
      timeseries(
        'Batch commit time',
        's',
        [
          {
            expr: 'histogram_quantile(0.95, sum by (le) (rate(registry_save_checkpoint_duration_seconds_bucket{job="matriz"}[5m])))',
            legend: 'p95',
          },
        ],
        'Plan, sign and durably append one sequencer batch.',
      ),
    )
    .build();
}

function trust(): Dashboard {
  return base(
    'matriz-trust',
    'MATRIZ Registry trust',
    'Trust root version and expiry, rotations, revocations and inconsistencies.',
  )
    .withPanel(
      stat(
        'Trust root version',
        'short',
        { expr: 'max(registry_trust_root_version{job="matriz"})' },
        '0 before matriz trust init.',
      ),
    )
    .withPanel(
      stat(
        'Days to trust root expiry',
        'd',
        { expr: 'min(registry_trust_root_days_to_expiry{job="matriz"})' },
        'Alert MatrizTrustRootExpiringSoon below 14; NaN without a root.',
      ),
    )
    .withPanel(
      stat(
        'Revoked keys',
        'short',
        { expr: 'max(registry_revoked_keys{job="matriz"})' },
        'Keys in the newest revocation list.',
      ),
    )
    .withPanel(
      stat(
        'Log inconsistencies',
        'short',
        { expr: 'max(registry_log_inconsistencies_total{job="matriz"})' },
        'Above 0: writes halted, MatrizLogInconsistent pages.',
      ),
    )
    .withPanel(
      timeseries(
        'Trust records seen',
        'short',
        [
          {
            expr: 'sum by (kind) (increase(registry_trust_records_seen_total{job="matriz"}[1h]))',
            legend: '{{kind}}',
          },
        ],
        'Trust roots, revocation lists, enrolments and log key rotations appended, per hour.',
      ),
    )
    .build();
}

/**
 * The governance tools write their metrics to files node_exporter's textfile collector serves
 * (job "node"): `matriz guard noop-stats --format openmetrics` and `matriz gates run
 * --openmetrics` (docs/operations.md).
 */
function governance(): Dashboard {
  return base(
    'matriz-governance',
    'MATRIZ governance',
    'The No-Op guard (runs, flags, false-positive ratio) and the post-merge gates on main.',
  )
    .withPanel(
      stat(
        'No-Op guard false-positive ratio',
        'percentunit',
        { expr: 'max(noop_guard_false_positive_ratio{job="node"})' },
        'FP / (FP + TN) from the audit log; alert MatrizNoopGuardFalsePositiveRatioHigh above 0.2 %.',
      ),
    )
    .withPanel(
      stat(
        'Gate run on main',
        'short',
        { expr: 'max(gate_report_failed{job="node",branch="main"})' },
        '1: the latest gate run on main is FAIL (alert MatrizGateReportFailOnMain); 0: PASS.',
      ),
    )
    .withPanel(
      timeseries(
        'No-Op guard runs and flags',
        'short',
        [
          { expr: 'max(noop_guard_runs_total{job="node"})', legend: 'runs' },
          { expr: 'max(noop_guard_flags_total{job="node"})', legend: 'flagged no-op' },
          {
            expr: 'max(noop_guard_false_positives_total{job="node"})',
            legend: 'labelled false positive',
          },
        ],
        'Counts over the whole audit log.',
      ),
    )
    .withPanel(
      timeseries(
        'Judged paths by reason',
        'short',
        [
          {
            expr: 'sum by (reason) (noop_guard_path_reasons_total{job="node"})',
            legend: '{{reason}}',
          },
        ],
        'Why each changed path got its verdict (docs/noop-guard.md).',
      ),
    )
    .withPanel(
      timeseries(
        'Gates on main by status',
        'short',
        [
          {
            expr: 'max by (gate, status) (gate_status{job="node",branch="main"})',
            legend: '{{gate}} {{status}}',
          },
        ],
        'Each gate with its status in the latest run on main.',
      ),
    )
    .build();
}

/** Every dashboard with the file it is written to under ops/grafana/dashboards/. */
export function dashboards(): { readonly file: string; readonly dashboard: Dashboard }[] {
  return [
    { file: 'matriz-overview.json', dashboard: overview() },
    { file: 'matriz-pqc.json', dashboard: pqc() },
    { file: 'matriz-trust.json', dashboard: trust() },
    { file: 'matriz-governance.json', dashboard: governance() },
  ];
}

/** Every panel query of a dashboard: what the live test runs against Prometheus. */
export function panelQueries(dashboard: Dashboard): { panel: string; expr: string }[] {
  return (dashboard.panels ?? []).flatMap((panel) =>
    'targets' in panel
      ? (panel.targets ?? []).map((target) => ({
          panel: panel.title ?? '',
          expr: String((target as { expr?: unknown }).expr),
        }))
      : [],
  );
}
