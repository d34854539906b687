/** The routes campaign-api answers (API Gateway route keys); the CDK app wires exactly these. */
export const CAMPAIGN_API_ROUTES = [
  'GET /api/session',
  'GET /api/campaigns',
  'POST /api/campaigns',
  'GET /api/campaigns/{campaignId}',
  'POST /api/campaigns/{campaignId}/actions',
  'POST /api/lab/emergency-stop',
] as const;
