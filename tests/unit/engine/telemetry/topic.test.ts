import { describe, expect, it } from 'vitest';
import {
  deviceTopicPrefix,
  parseTopic,
  sparkplugStateTopic,
  sparkplugTopic,
  telemetryTopic,
} from '../../../../engine/telemetry/index.js';

describe('parseTopic: FactoryOps telemetry topics', () => {
  it('parses factories/{slug}/devices/{key}/telemetry', () => {
    expect(parseTopic('factories/acme/devices/press-01/telemetry')).toEqual({
      kind: 'telemetry',
      factorySlug: 'acme',
      deviceKey: 'press-01',
    });
  });

  it('refuses wrong segment counts, wrong literals and trailing or doubled slashes', () => {
    for (const topic of [
      'factories/acme/devices/press-01',
      'factories/acme/devices/press-01/telemetry/extra',
      'factories/acme/device/press-01/telemetry',
      'factories/acme/devices/press-01/Telemetry',
      'factories/acme/devices/press-01/telemetry/',
      '/factories/acme/devices/press-01/telemetry',
      'factories//devices/press-01/telemetry',
      'factories/acme/devices//telemetry',
      'factories/acme//devices/press-01/telemetry',
      'Factories/acme/devices/press-01/telemetry',
    ]) {
      expect(parseTopic(topic), topic).toBeNull();
    }
  });

  it('refuses wildcards, path tricks, unicode and bad identifiers in the segments', () => {
    for (const topic of [
      'factories/+/devices/press-01/telemetry',
      'factories/acme/devices/+/telemetry',
      'factories/#',
      'factories/acme/devices/#',
      'factories/acme/devices/../telemetry',
      'factories/../devices/press-01/telemetry',
      'factories/acme/devices/.hidden/telemetry',
      'factories/ACME/devices/press-01/telemetry',
      'factories/acmé/devices/press-01/telemetry',
      'factories/acme/devices/pressé/telemetry',
      'factories/acme/devices/press\u000001/telemetry',
      `factories/${'a'.repeat(64)}/devices/p/telemetry`,
      `factories/acme/devices/${'p'.repeat(101)}/telemetry`,
    ]) {
      expect(parseTopic(topic), JSON.stringify(topic)).toBeNull();
    }
  });

  it('refuses empty, overlong and unrelated topics without throwing', () => {
    expect(parseTopic('')).toBeNull();
    expect(parseTopic('/')).toBeNull();
    expect(parseTopic('$SYS/broker/uptime')).toBeNull();
    expect(parseTopic('$share/g/factories/acme/devices/p/telemetry')).toBeNull();
    expect(parseTopic(`factories/acme/devices/p/telemetry${'/x'.repeat(600)}`)).toBeNull();
    expect(parseTopic('a/'.repeat(100_000))).toBeNull();
  });
});

describe('parseTopic: Sparkplug B topics', () => {
  it('parses node message types without a device', () => {
    for (const type of ['NBIRTH', 'NDATA', 'NDEATH', 'NCMD']) {
      expect(parseTopic(`spBv1.0/Plant A/${type}/edge-1`)).toEqual({
        kind: 'sparkplug',
        group: 'Plant A',
        messageType: type,
        edgeNode: 'edge-1',
      });
    }
  });

  it('parses device message types with a device', () => {
    for (const type of ['DBIRTH', 'DDATA', 'DDEATH', 'DCMD']) {
      expect(parseTopic(`spBv1.0/g/${type}/edge-1/press 7`)).toEqual({
        kind: 'sparkplug',
        group: 'g',
        messageType: type,
        edgeNode: 'edge-1',
        device: 'press 7',
      });
    }
  });

  it('requires the device exactly for D* types', () => {
    expect(parseTopic('spBv1.0/g/NDATA/edge-1/dev')).toBeNull();
    expect(parseTopic('spBv1.0/g/DDATA/edge-1')).toBeNull();
  });

  it('recognises STATE topics as their own kind', () => {
    expect(parseTopic('spBv1.0/STATE/scada-host')).toEqual({ kind: 'sparkplug-state', hostId: 'scada-host' });
    expect(parseTopic('spBv1.0/STATE')).toBeNull();
    expect(parseTopic('spBv1.0/STATE/')).toBeNull();
    expect(parseTopic('spBv1.0/STATE/NBIRTH/edge-1')).toBeNull();
  });

  it('refuses unknown types, other namespaces, wildcards, empty segments and overlong ids', () => {
    for (const topic of [
      'spBv1.0/g/NFOO/edge-1',
      'spBv1.0/g/ndata/edge-1',
      'spAv1.0/g/NDATA/edge-1',
      'spBv1.0/+/NDATA/edge-1',
      'spBv1.0/g/NDATA/+',
      'spBv1.0/g/DDATA/edge-1/#',
      'spBv1.0/#',
      'spBv1.0//NDATA/edge-1',
      'spBv1.0/g/NDATA/',
      'spBv1.0/g/DDATA/edge-1/',
      'spBv1.0/g/NDATA/edge-1/',
      'spBv1.0/g/DDATA/edge-1/dev/extra',
      'spBv1.0/g/NDATA',
      'spBv1.0',
      'spBv1.0/g\u0000/NDATA/edge-1',
      `spBv1.0/${'g'.repeat(256)}/NDATA/edge-1`,
    ]) {
      expect(parseTopic(topic), JSON.stringify(topic)).toBeNull();
    }
  });

  it('accepts unicode Sparkplug ids, which the specification allows', () => {
    expect(parseTopic('spBv1.0/Werk München/NDATA/Presse-Ä')).toMatchObject({ group: 'Werk München', edgeNode: 'Presse-Ä' });
  });
});

describe('topic builders', () => {
  it('builds telemetry topics and the device prefix that round-trip through parseTopic', () => {
    expect(telemetryTopic('acme', 'press-01')).toBe('factories/acme/devices/press-01/telemetry');
    expect(deviceTopicPrefix('acme', 'press-01')).toBe('factories/acme/devices/press-01/');
    expect(parseTopic(telemetryTopic('acme', 'press-01'))).toMatchObject({ factorySlug: 'acme', deviceKey: 'press-01' });
  });

  it('gives a device prefix that never matches a device whose key extends it', () => {
    const prefix = deviceTopicPrefix('acme', 'press');
    expect(telemetryTopic('acme', 'press-01').startsWith(prefix)).toBe(false);
    expect(telemetryTopic('acme', 'press').startsWith(prefix)).toBe(true);
  });

  it('throws on identifiers that would make a different or wildcard topic', () => {
    expect(() => telemetryTopic('acme', '+')).toThrow(RangeError);
    expect(() => telemetryTopic('acme/x', 'p')).toThrow(RangeError);
    expect(() => deviceTopicPrefix('acme', '#')).toThrow(RangeError);
  });

  it('builds Sparkplug topics and enforces the device rule', () => {
    expect(sparkplugTopic('g', 'NCMD', 'edge-1')).toBe('spBv1.0/g/NCMD/edge-1');
    expect(sparkplugTopic('g', 'DCMD', 'edge-1', 'dev')).toBe('spBv1.0/g/DCMD/edge-1/dev');
    expect(sparkplugStateTopic('host')).toBe('spBv1.0/STATE/host');
    expect(() => sparkplugTopic('g', 'NCMD', 'edge-1', 'dev')).toThrow(RangeError);
    expect(() => sparkplugTopic('g', 'DCMD', 'edge-1', undefined)).toThrow(RangeError);
    expect(() => sparkplugTopic('g/h', 'NCMD', 'edge-1')).toThrow(RangeError);
    expect(() => sparkplugTopic('STATE', 'NCMD', 'edge-1')).toThrow(RangeError);
    expect(() => sparkplugStateTopic('a#')).toThrow(RangeError);
  });
});
