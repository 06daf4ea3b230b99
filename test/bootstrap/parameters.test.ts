import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_NODE_SETTINGS,
  NodeSettingsSchema,
  bootstrapParameterNames,
  decodeTemplate,
  encodeTemplate,
  parameterPrefix,
  parseNodeSettings,
  readBootstrapTemplate,
  stripTemplateComments,
} from '../../shared/bootstrap/parameters.ts';

describe('Module: bootstrap parameters', () => {
  it('derives every name from the config parameter parent path', () => {
    // Act
    const names = bootstrapParameterNames('/wcs-autoscaler/prod/config');

    // Assess
    expect(parameterPrefix('/wcs-autoscaler/prod/config')).toBe('/wcs-autoscaler/prod');
    expect(names.template).toBe('/wcs-autoscaler/prod/bootstrap/template');
    expect(names.nodeSettings('default')).toBe('/wcs-autoscaler/prod/pools/default/node-settings');
    expect(names.licenseSecret).toBe('/wcs-autoscaler/prod/secrets/wcs-license');
    expect(names.passwordSecret).toBe('/wcs-autoscaler/prod/secrets/wcs-password');
  });

  it('applies defaults to an empty settings object', () => {
    expect(parseNodeSettings({})).toEqual(DEFAULT_NODE_SETTINGS);
    expect(DEFAULT_NODE_SETTINGS.restPort).toBe(8444);
    expect(DEFAULT_NODE_SETTINGS.mediaPorts).toEqual({ from: 31001, to: 32000 });
    expect(DEFAULT_NODE_SETTINGS.image).not.toMatch(/:latest$/);
  });

  it.each(['flashphoner/webcallserver', 'flashphoner/webcallserver:latest'])('refuses the unpinned image %s', (image) => {
    expect(() => parseNodeSettings({ image })).toThrow(/pinned/);
  });

  it('refuses an empty media port range', () => {
    expect(() => parseNodeSettings({ mediaPorts: { from: 32000, to: 31000 } })).toThrow(/mediaPorts/);
  });

  it('round-trips the repository template through the parameter encoding within the Advanced tier', () => {
    // Prepare
    const template = readBootstrapTemplate();

    // Act
    const encoded = encodeTemplate(template);

    // Assess
    expect(encoded.startsWith('br64:')).toBe(true);
    expect(Buffer.byteLength(encoded)).toBeLessThanOrEqual(8192);
    expect(decodeTemplate(encoded)).toBe(stripTemplateComments(template));
    expect(decodeTemplate(encoded)).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(decodeTemplate('#!/bin/bash\necho plain\n')).toBe('#!/bin/bash\necho plain\n');
    // A value written by the earlier gzip encoding still decodes.
    expect(decodeTemplate(`gz64:${gzipSync('#!/bin/bash\necho old\n').toString('base64')}`)).toBe('#!/bin/bash\necho old\n');
  });

  it('strips full-line comments, blank lines and indentation but keeps the shebang and every command', () => {
    // Act
    const stripped = stripTemplateComments('#!/usr/bin/env bash\n# header\n\nf() {\n  # inside\n  echo "a  b" # trailing stays\n\t\tprintf x\n}\n');

    // Assess
    expect(stripped).toBe('#!/usr/bin/env bash\nf() {\necho "a  b" # trailing stays\nprintf x\n}\n');
  });

  it('says what PASSWORD is (the WCS SSH password, not a REST user) and that REST stays closed', () => {
    expect(NodeSettingsSchema.shape.passwordParameter.description).toMatch(/SSH/);
    expect(NodeSettingsSchema.shape.passwordParameter.description).toMatch(/not a REST API user/);
    expect(NodeSettingsSchema.shape.restPort.description).toMatch(/no REST user is provisioned/);
  });

  it('defaults public addressing to an Elastic IP per container and accepts private-only', () => {
    expect(DEFAULT_NODE_SETTINGS.publicAddressing).toBe('elastic-ip');
    expect(parseNodeSettings({ publicAddressing: 'none' }).publicAddressing).toBe('none');
    expect(() => parseNodeSettings({ publicAddressing: 'auto' })).toThrow(/publicAddressing/);
  });
});
