/** The objective's trace: J(S) and its terms after each step of a phase (greedy, refinement). */

/** J(S) and its terms after each step of a phase (unweighted penalties, as the original tool defines them). */
export interface ObjectiveTrace {
  objective: number[];
  /** Σ_t w_t · mismatch_t (score_classsize_t or χ²_t). */
  classSize: number[];
  /** tier_mix_penalty (before λ_tier). */
  tierPenalty: number[];
  /** rare_cap_penalty (before λ_cap). */
  capPenalty: number[];
  /** The density term D(S) (before λ_density; 0 without one). */
  densityPenalty: number[];
}

/** What the trace reads of a subset's state (an `ObjectiveState`). */
export interface TraceSource {
  objective(): number;
  classSizeTerm(): number;
  tierTerm(): number;
  densityTerm(): number;
  readonly capOver: number;
}

export const TRACE_KEYS = ['objective', 'classSize', 'tierPenalty', 'capPenalty', 'densityPenalty'] as const;

export function emptyTrace(): ObjectiveTrace {
  return { objective: [], classSize: [], tierPenalty: [], capPenalty: [], densityPenalty: [] };
}

export function pushTrace(trace: ObjectiveTrace, state: TraceSource): void {
  trace.objective.push(state.objective());
  trace.classSize.push(state.classSizeTerm());
  trace.tierPenalty.push(state.tierTerm());
  trace.capPenalty.push(state.capOver);
  trace.densityPenalty.push(state.densityTerm());
}
