// Node side: renders a run's events for people, shared by the `agent-runtime` CLI and
// `npm run demo`: tokens inline as they stream, one line per tool call and result, a progress
// bar per step, warnings and errors in words, usage/cost and the UI link at the end. `--json`
// prints the raw events instead (one JSON object per line).
import { EventType, isTerminalEventType } from '../src/core/events';
import type { RunEvent, Usage } from '../src/core/types';

/** Where the renderer writes (a TTY stream, or a buffer in tests). */
export interface RenderTarget {
  write(text: string): unknown;
  /** A terminal: progress bars redraw in place and colours are used. */
  isTTY?: boolean;
}

/** Options of `RunRenderer`. */
export interface RunRendererOptions {
  /** Print each event as one JSON line instead. @default false */
  json?: boolean;
  /** ANSI colours. @default target.isTTY */
  color?: boolean;
  /** Longest tool argument/result text shown. @default 160 */
  maxValueLength?: number;
}

/** What `RunRenderer.summary` prints at the end of a run. */
export interface RunSummary {
  runId: string;
  status?: string;
  usage?: Partial<Usage>;
  /** Error of a failed run. */
  error?: { type?: string; code?: string; message?: string } | null;
  /** Link to the run in the Temporal Web UI. */
  uiUrl?: string;
}

/** A value as text: strings as they are, others as JSON. */
export function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return value.toString();
  }
  return JSON.stringify(value) ?? '';
}

const STYLE = {
  dim: ['\x1b[2m', '\x1b[22m'],
  bold: ['\x1b[1m', '\x1b[22m'],
  red: ['\x1b[31m', '\x1b[39m'],
  green: ['\x1b[32m', '\x1b[39m'],
  yellow: ['\x1b[33m', '\x1b[39m'],
  cyan: ['\x1b[36m', '\x1b[39m'],
} as const;

function short(value: unknown, max: number): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const one = (text ?? '').replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Renders one run's events as they come. */
export class RunRenderer {
  private readonly color: boolean;
  private readonly json: boolean;
  private readonly max: number;
  /** Text is being streamed on the current line. */
  private streaming = false;
  /** A progress bar is drawn on the current line (TTY). */
  private barOpen = false;
  private lastBar = '';
  private streamedTurns = new Set<number>();
  /** Streamed text of the run's last model call (tests and the summary read it). */
  lastText = '';

  constructor(
    private readonly out: RenderTarget,
    options: RunRendererOptions = {},
  ) {
    this.json = options.json ?? false;
    this.color = options.color ?? Boolean(out.isTTY);
    this.max = options.maxValueLength ?? 160;
  }

  private paint(style: keyof typeof STYLE, text: string): string {
    if (!this.color) return text;
    const [on, off] = STYLE[style];
    return `${on}${text}${off}`;
  }

  /** Ends a streamed line or a progress bar, so the next output starts on its own line. */
  private breakLine(): void {
    if (this.streaming || this.barOpen) this.out.write('\n');
    this.streaming = false;
    this.barOpen = false;
  }

  /** Prints one line (after ending streamed text or a progress bar). */
  line(text: string): void {
    this.breakLine();
    this.out.write(`${text}\n`);
  }

  /** Renders one event. */
  event(ev: RunEvent): void {
    if (this.json) {
      this.out.write(`${JSON.stringify(ev)}\n`);
      return;
    }
    const p = ev.payload ?? {};
    switch (ev.type) {
      case EventType.RUN_STARTED:
        this.line(this.paint('dim', `▶ run ${ev.runId} started`));
        return;
      case EventType.ASSISTANT_DELTA: {
        if (this.barOpen) this.breakLine();
        if (!this.streaming) {
          this.out.write(this.paint('bold', 'assistant: '));
          this.lastText = '';
        }
        this.streaming = true;
        const turn = typeof p.turn === 'number' ? p.turn : 0;
        this.streamedTurns.add(turn);
        const delta = typeof p.delta === 'string' ? p.delta : '';
        this.lastText += delta;
        this.out.write(delta);
        return;
      }
      case EventType.ASSISTANT_RETRY:
        if (this.streaming) {
          this.line(this.paint('yellow', '  ↻ the model call is retried; the text above is void'));
        }
        return;
      case EventType.ASSISTANT_MESSAGE: {
        const turn = typeof p.turn === 'number' ? p.turn : -1;
        if (this.streaming || this.streamedTurns.has(turn)) {
          this.breakLine();
          return;
        }
        if (typeof p.content === 'string' && p.content) {
          this.lastText = p.content;
          this.line(`${this.paint('bold', 'assistant:')} ${p.content}`);
        }
        return;
      }
      case EventType.TOOL_CALL: {
        const call = (p.toolCall ?? {}) as { name?: string; arguments?: unknown };
        this.line(
          this.paint('cyan', `→ ${call.name ?? 'tool'}(${short(call.arguments ?? '', this.max)})`),
        );
        return;
      }
      case EventType.TOOL_RESULT:
        if (p.isError) {
          this.line(
            this.paint(
              'red',
              `✗ ${str(p.name ?? 'tool')} failed: ${short(p.error, this.max)}${p.errorCode ? ` (${str(p.errorCode)})` : ''}`,
            ),
          );
        } else {
          this.line(
            `${this.paint('green', '←')} ${str(p.name ?? 'tool')}: ${short(p.result, this.max)}`,
          );
        }
        return;
      case EventType.TOOL_APPROVAL_REQUESTED: {
        const call = (p.toolCall ?? {}) as { name?: string; arguments?: unknown };
        this.line(
          this.paint(
            'yellow',
            `? ${call.name ?? 'tool'}(${short(call.arguments ?? '', this.max)}) needs approval (tool call ${str(p.toolCallId)})`,
          ),
        );
        return;
      }
      case EventType.TOOL_APPROVAL_DECIDED:
        this.line(
          p.timedOut
            ? this.paint('red', `✗ approval of ${str(p.name)} timed out`)
            : p.approved
              ? this.paint('green', `✓ ${str(p.name)} approved`)
              : this.paint(
                  'red',
                  `✗ ${str(p.name)} rejected${p.reason ? `: ${str(p.reason)}` : ''}`,
                ),
        );
        return;
      case EventType.STEP_STARTED:
        this.line(
          `● step ${Number(p.stepIndex) + 1}/${str(p.totalSteps)} ${str(p.stepName)}` +
            (p.description ? this.paint('dim', ` — ${str(p.description)}`) : '') +
            (Number(p.attempt) > 1 ? this.paint('yellow', ` (attempt ${str(p.attempt)})`) : ''),
        );
        return;
      case EventType.PROGRESS_UPDATE:
        this.progress(p);
        return;
      case EventType.STEP_COMPLETED:
        this.line(
          `${this.paint('green', '✓')} step ${str(p.stepName)} done` +
            (typeof p.durationMs === 'number' ? this.paint('dim', ` in ${p.durationMs} ms`) : ''),
        );
        return;
      case EventType.STEP_RETRYING:
        this.line(
          this.paint(
            'yellow',
            `↻ step ${str(p.stepName)} attempt ${str(p.attempt)} failed (${short(p.error, this.max)}); retrying`,
          ),
        );
        return;
      case EventType.STEP_FAILED:
        this.line(
          this.paint('red', `✗ step ${str(p.stepName)} failed: ${short(p.error, this.max)}`),
        );
        return;
      case EventType.STEP_SKIPPED:
        this.line(this.paint('dim', `· step ${str(p.stepName)} skipped (done in an earlier run)`));
        return;
      case EventType.ERROR:
        this.line(this.paint('yellow', `! ${short(p.message ?? p.error ?? p, this.max)}`));
        return;
      case EventType.RUN_SUCCEEDED:
        this.line(this.paint('green', '✓ run succeeded'));
        return;
      case EventType.RUN_FAILED:
      case EventType.RUN_CANCELLED:
      case EventType.RUN_TIMED_OUT:
      case EventType.RUN_TERMINATED: {
        const err = (p.error ?? {}) as { type?: string; message?: string };
        const word = ev.type.slice('run.'.length).replace('_', ' ');
        this.line(
          this.paint(
            'red',
            `✗ run ${word}${err.message ? `: ${err.message}` : ''}${err.type ? ` (${err.type})` : ''}`,
          ),
        );
        return;
      }
      default:
        // Checkpoints, heartbeats and custom events are not for people.
        if (isTerminalEventType(ev.type)) this.breakLine();
    }
  }

  private progress(p: Record<string, unknown>): void {
    const pct = Math.max(0, Math.min(100, Number(p.progressPercent ?? 0)));
    const width = 24;
    const filled = Math.round((pct / 100) * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct.toFixed(0).padStart(3)}% ${short(p.description ?? '', 60)}`;
    if (bar === this.lastBar) return;
    this.lastBar = bar;
    if (this.out.isTTY && !this.streaming) {
      this.out.write(`\r\x1b[2K  ${bar}`);
      this.barOpen = true;
      return;
    }
    this.line(`  ${bar}`);
  }

  /** The last lines of a run: usage and cost, the error in words, the UI link. */
  summary(s: RunSummary): void {
    if (this.json) return;
    this.breakLine();
    const u = s.usage;
    if (u && (u.totalTokens ?? 0) > 0) {
      const cost = typeof u.cost === 'number' ? `, cost $${u.cost.toFixed(4)}` : '';
      this.line(
        this.paint(
          'dim',
          `usage: ${u.promptTokens ?? 0} prompt + ${u.completionTokens ?? 0} completion = ${u.totalTokens} tokens${cost}`,
        ),
      );
    }
    if (s.error?.message) {
      this.line(
        this.paint('red', `error: ${s.error.message} (${s.error.code ?? s.error.type ?? 'ERROR'})`),
      );
    }
    if (s.uiUrl) this.line(this.paint('dim', `Temporal UI: ${s.uiUrl}`));
  }
}
