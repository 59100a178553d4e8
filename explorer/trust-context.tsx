/**
 * The trust state of this visit, established once (explorer/trust.ts) and shared by every page:
 * the banner under the header says what was verified, or warns in red that nothing is.
 */
import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useState } from 'preact/hooks';
import { when } from './pages/common.js';
import { establishTrust, forgetPins, TrustFailure, type TrustState } from './trust.js';

export type TrustStatus =
  | { readonly state: 'pending' }
  | { readonly state: 'ok'; readonly trust: TrustState }
  | { readonly state: 'failed'; readonly failure: TrustFailure };

interface TrustContextValue {
  readonly status: TrustStatus;
  readonly recheck: () => void;
}

const TrustContext = createContext<TrustContextValue>({
  status: { state: 'pending' },
  recheck: () => undefined,
});

export function useTrust(): TrustContextValue {
  return useContext(TrustContext);
}

function asFailure(error: unknown): TrustFailure {
  return error instanceof TrustFailure
    ? error
    : new TrustFailure('fetch', (error as Error).name, (error as Error).message);
}

export function TrustProvider({ children }: { readonly children: ComponentChildren }) {
  const [status, setStatus] = useState<TrustStatus>({ state: 'pending' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setStatus({ state: 'pending' });
    establishTrust().then(
      (trust) => {
        if (live) setStatus({ state: 'ok', trust });
      },
      (error: unknown) => {
        if (live) setStatus({ state: 'failed', failure: asFailure(error) });
      },
    );
    return () => {
      live = false;
    };
  }, [round]);
  const recheck = useCallback(() => {
    setRound((n) => n + 1);
  }, []);
  return <TrustContext.Provider value={{ status, recheck }}>{children}</TrustContext.Provider>;
}

export function TrustBanner() {
  const { status, recheck } = useTrust();
  if (status.state === 'pending')
    return (
      <p class="trust trust-pending" role="status" id="trust-status">
        Checking the log's signatures in this browser…
      </p>
    );
  if (status.state === 'failed') {
    const { failure } = status;
    const pinProblem = ['root-chain', 'log-keys', 'consistency'].includes(failure.step);
    return (
      <div class="trust trust-warning" role="alert" id="trust-status" data-step={failure.step}>
        <p>
          <strong>Warning: this registry could not be verified ({failure.step}).</strong>{' '}
          {failure.message.replace(/\.$/, '')}. Nothing on these pages is shown as verified.
        </p>
        {pinProblem && (
          <p>
            If the registry's operator announced a new trust root that does not chain from the old
            one, you may start over:{' '}
            <button
              type="button"
              onClick={() => {
                forgetPins();
                recheck();
              }}
            >
              Forget the pinned keys and trust the registry's current ones
            </button>
          </p>
        )}
      </div>
    );
  }
  const { trust } = status;
  const anchor =
    trust.mode === 'trust-root'
      ? `trust root version ${trust.root?.version ?? '?'}`
      : 'the log keys (this log has no trust root)';
  return (
    <p class="trust trust-ok" role="status" id="trust-status" data-mode={trust.mode}>
      Log <code>{trust.origin}</code>: checkpoint of {trust.checkpoint.size} entries verified in
      this browser (Ed25519 and ML-DSA-44 signatures) under {anchor}
      {trust.firstUse
        ? `, pinned now (first visit)`
        : `, pinned ${when(trust.pinnedAt)}${trust.consistentFrom === undefined ? '' : `; append-only since size ${trust.consistentFrom}`}`}
      .
    </p>
  );
}
