/**
 * The end of a simulated node's boot when its boot unit waits for its Elastic IPs, as the real
 * one does (infra/bootstrap/wcs-node.sh.tpl waits for them in IMDS before it writes the WCS
 * settings and starts the containers): `NodeReady` at the end of the boot if node-events has
 * associated them by then, else {@link BOOT_AFTER_ADDRESSES_MS} after their association.
 *
 * @module
 */
import type { BusEvent } from './local-event-bus.ts';
import { busEvent } from './local-event-bus.ts';

/** Source of the bus's timer events that end a simulated node's boot (never routed to a function). */
export const NODE_BOOT_TIMER_SOURCE = 'sim.node-boot';

/**
 * What a node's boot unit still does after its Elastic IPs appear, when it had to wait for them:
 * the WCS settings, the containers, WCS's start and health check, then `NodeReady`, ms. An
 * assumption of the simulator (a third of the 90 s cold boot for the boot unit's steps after its
 * Elastic IP wait), not a measurement.
 */
export const BOOT_AFTER_ADDRESSES_MS = 30_000;

/** What {@link BootWaits} reads and calls. */
export interface BootWaitDeps {
  readonly clock: { now(): number };
  /** Emit an event after `delayMs` (the timer events go through it). */
  readonly emit: (event: BusEvent, delayMs: number) => void;
  /** The bus whose timers end the boots (`LocalEventBus.onTimer`). */
  readonly timers: { onTimer(source: string, handler: (event: BusEvent) => void): void };
  /** The instance now: gone (not running: stopped, terminated, lost), waiting for its addresses, or addressed. */
  readonly ready: (instanceId: string) => 'gone' | 'waiting' | 'addressed';
  /** Put the node's `NodeReady` after `delayMs`. */
  readonly putReady: (instanceId: string, delayMs: number) => void;
}

/** The boots in progress of nodes that wait for their Elastic IPs. */
export class BootWaits {
  /** Per instance, its latest boot (a stop and start makes a new one) and whether it is waiting for its addresses. */
  private readonly boots = new Map<string, { readonly token: number; waiting: boolean }>();
  /** Boots that ended before their node's Elastic IPs were associated. */
  public awaited = 0;

  public constructor(private readonly deps: BootWaitDeps) {
    deps.timers.onTimer(NODE_BOOT_TIMER_SOURCE, (e) => this.bootDone(e));
  }

  /** The boot of `instanceId` (first boot, start or resume) ends after `delayMs`. */
  public endBoot(instanceId: string, delayMs: number): void {
    const token = (this.boots.get(instanceId)?.token ?? 0) + 1;
    this.boots.set(instanceId, { token, waiting: false });
    this.deps.emit(busEvent(NODE_BOOT_TIMER_SOURCE, 'Boot Done', { instanceId, token }, this.deps.clock.now() + delayMs), delayMs);
  }

  /** The node's Elastic IPs were associated: `NodeReady` after the rest of the boot if it was waiting for them (once). */
  public addressed(instanceId: string): void {
    if (!this.boots.get(instanceId)?.waiting) return;
    this.boots.delete(instanceId);
    this.deps.putReady(instanceId, BOOT_AFTER_ADDRESSES_MS);
  }

  /** A boot's timer: `NodeReady` now if the node's addresses are associated, else wait; nothing for a stale boot or a node no longer running. */
  private bootDone(timer: BusEvent): void {
    const { instanceId, token } = timer.detail as { instanceId: string; token: number };
    const boot = this.boots.get(instanceId);
    if (!boot || boot.token !== token) return;
    const state = this.deps.ready(instanceId);
    if (state === 'gone') return;
    if (state === 'addressed') {
      this.boots.delete(instanceId);
      this.deps.putReady(instanceId, 0);
      return;
    }
    boot.waiting = true;
    this.awaited += 1;
  }
}
