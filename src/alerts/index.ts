// The alert service with its real parts: a DeliveryQueue per destination, spooled under spoolDir,
// and the sender of each destination kind.
import type { Emitter } from '../events/stream.js';
import { TEST_ALERT_MS } from '../control/protocol.js';
import { alertmanagerSender } from './alertmanager.js';
import { commandSender } from './command.js';
import { mailSender } from './mail.js';
import { DeliveryQueue } from './queue.js';
import { AlertService } from './service.js';
import type { AlertConfig, Destination, Sender } from './types.js';
import { webhookSender } from './webhook.js';

export interface AlertOptions {
  readonly host: string;
  readonly pfile: string;
  readonly spoolDir: string;
  readonly log: Emitter;
  /** A one-shot timer (src/system/timers.ts after). */
  readonly after: (ms: number, callback: () => void) => () => void;
}

export function createAlertService(config: AlertConfig, options: AlertOptions): AlertService {
  const now = () => Date.now();
  return new AlertService(
    config,
    {
      sender: senderFor,
      queue: (destination, current, sender) =>
        new DeliveryQueue(
          {
            destination,
            sender,
            spoolDir: options.spoolDir,
            coalesceSeconds: current.coalesceSeconds,
            retrySeconds: current.retrySeconds,
            spoolLimit: current.spoolLimit,
          },
          { now, after: options.after, log: options.log },
        ),
    },
    { host: options.host, pfile: options.pfile, log: options.log, now, testLimitMs: TEST_ALERT_MS },
  );
}

function senderFor(destination: Destination): Sender {
  switch (destination.kind) {
    case 'mail':
      return mailSender(destination);
    case 'webhook':
      return webhookSender(destination);
    case 'alertmanager':
      return alertmanagerSender(destination);
    case 'command':
      return commandSender(destination);
  }
}
