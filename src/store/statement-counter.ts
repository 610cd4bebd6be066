/**
 * What this process has sent to its database: statements (BEGIN and COMMIT
 * or ROLLBACK included) and transactions. Counted at the driver boundary,
 * below drizzle, so that `npm run bench` and `/metrics` report what was
 * sent, not what the code is believed to send.
 */
export interface StatementCounts {
  statements: number;
  transactions: number;
}

export class StatementCounter implements StatementCounts {
  statements = 0;
  transactions = 0;

  snapshot(): StatementCounts {
    return { statements: this.statements, transactions: this.transactions };
  }
}
