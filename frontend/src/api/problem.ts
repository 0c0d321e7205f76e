import type { Problem } from './types';

/** An API failure: a problem+json body (or one made up for a network failure). */
export class ApiError extends Error {
  readonly problem: Problem;
  readonly status: number;
  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'ApiError';
    this.problem = problem;
    this.status = problem.status;
  }
}

/** status 0 = the request never got an answer. */
export function networkProblem(detail = 'Could not reach the shop. Check your connection and try again.'): Problem {
  return { type: 'about:blank', title: 'Network error', status: 0, detail };
}

function isProblem(value: unknown): value is Problem {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.status === 'number' && (typeof v.title === 'string' || typeof v.detail === 'string');
}

/** Turns whatever an API call failed with into a Problem. */
export function toProblem(error: unknown, status?: number): Problem {
  if (error instanceof ApiError) return error.problem;
  if (isProblem(error)) {
    return { type: error.type ?? 'about:blank', title: error.title ?? 'Error', status: error.status, detail: error.detail ?? error.title ?? '', errors: error.errors, request_id: error.request_id };
  }
  if (status && status >= 400) {
    return { type: 'about:blank', title: 'Error', status, detail: `The request failed (HTTP ${status}).` };
  }
  if (error instanceof Error) return networkProblem();
  return { type: 'about:blank', title: 'Error', status: status ?? 0, detail: 'Something went wrong.' };
}

/** The slug at the end of a problem `type`, e.g. `validation`, `email-taken`. */
export function problemSlug(problem: Problem): string {
  const i = problem.type.lastIndexOf('/');
  return i >= 0 ? problem.type.slice(i + 1) : problem.type;
}

export interface SplitProblem {
  /** Messages for fields the form shows, keyed by their dotted path. */
  fields: Record<string, string>;
  /** What to show in a banner: the detail, plus any field errors the form has no place for. */
  banner: string | null;
  /** Field errors with no matching form field. */
  unplaced: { field: string; message: string }[];
}

/**
 * Maps a problem onto a form: each `errors[].field` that the form knows goes next to that field,
 * everything else (and the detail, when no field is placed) goes into a banner.
 */
export function splitProblem(problem: Problem | null | undefined, knownFields: readonly string[]): SplitProblem {
  if (!problem) return { fields: {}, banner: null, unplaced: [] };
  const known = new Set(knownFields);
  const fields: Record<string, string> = {};
  const unplaced: { field: string; message: string }[] = [];
  for (const e of problem.errors ?? []) {
    if (known.has(e.field)) {
      fields[e.field] = fields[e.field] ? `${fields[e.field]}; ${e.message}` : e.message;
    } else {
      unplaced.push(e);
    }
  }
  const placed = Object.keys(fields).length > 0;
  let banner: string | null = null;
  if (unplaced.length > 0) {
    banner = `${problem.detail || problem.title}: ${unplaced.map((e) => `${e.field} ${e.message}`).join('; ')}`;
  } else if (!placed) {
    banner = problem.detail || problem.title;
  }
  return { fields, banner, unplaced };
}

/** True for errors worth retrying: no answer at all, or a 5xx. Never a 4xx. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof ApiError) return error.status === 0 || error.status >= 500;
  return true;
}
