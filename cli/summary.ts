/** The end-of-restore summary a person reads: what was restored, from when, how, and how long each phase took. */
import type { RestoreOutput } from '@shared/workflow-state';
import { duration, utc } from './format';
import { sshDetailRows } from './ssh-summary';

export function renderSummary(o: RestoreOutput): string {
  const rows = summaryRows(o);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}

/** The summary as label/value rows, for the terminal and the HTML report alike. */
export function summaryRows(o: RestoreOutput): [string, string][] {
  const rows: [string, string][] = [
    ['status', o.status],
    [
      'source',
      `${o.source.instanceId}  key ${o.source.keyName ?? 'none'}  profile ${o.source.instanceProfileArn?.split('/').pop() ?? 'none'}`,
    ],
    ['recovery point', `${o.recoveryPoint.arn}`],
    [
      '',
      `created ${utc(o.recoveryPoint.creationDate)} in vault ${o.recoveryPoint.backupVaultName}: ${duration(o.recoveryPoint.ageSeconds)} old (RPO)`,
    ],
  ];
  if (o.restoreJob)
    rows.push([
      'restore job',
      `${o.restoreJob.id} ${o.restoreJob.status} in ${duration(o.timings.restoreJobSeconds)}`,
    ]);
  if (o.instance) {
    rows.push([
      'instance',
      `${o.instance.instanceId}  private ${o.instance.privateIp ?? '—'}  public ${o.instance.publicIp ?? 'none'}  subnet ${o.instance.subnetId ?? '—'}`,
    ]);
  }
  if (o.publicAddress) {
    const eip = o.elasticIp ? `${o.elasticIp.allocationId} ${o.elasticIp.publicIp}: ` : '';
    rows.push(['public address', `${o.publicAddress.action}  ${eip}${o.publicAddress.reason}`]);
  }
  if (o.instanceProfile)
    rows.push(['instance profile', `${o.instanceProfile.action}  ${o.instanceProfile.arn ?? 'none'}`]);
  if (o.ssh) {
    rows.push([
      'ssh',
      o.ssh.reachable
        ? `${o.ssh.username}@${o.ssh.host}:${o.ssh.port} ok after ${o.ssh.attempts} attempt(s), host key ${o.ssh.hostKeyFingerprint}`
        : 'not checked',
    ]);
    rows.push(...sshDetailRows(o.ssh));
  }
  if (o.cleanup)
    rows.push([
      'cleanup',
      `instance terminated: ${o.cleanup.instanceTerminated}, Elastic IP released: ${o.cleanup.elasticIpReleased}`,
    ]);
  const t = o.timings;
  rows.push([
    'timings',
    `select ${duration(t.selectSeconds)} · restore job ${duration(t.restoreJobSeconds)} · boot ${duration(t.bootSeconds)} · profile ${duration(t.profileSeconds)} · address ${duration(t.addressSeconds)} · ssh ready ${duration(t.sshReadySeconds)}`,
  ]);
  rows.push(['total (RTO)', duration(t.totalSeconds)]);
  return rows;
}
