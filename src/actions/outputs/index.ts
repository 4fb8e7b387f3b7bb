// The notification outputs (one module each), registered with the other action types.

import type { ActionFactory } from '../types.js';
import { slackAction } from './slack.js';
import { teamsAction } from './teams.js';
import { emailAction } from './email.js';
import { jiraAction } from './jira.js';
import { servicenowAction } from './servicenow.js';
import { splunkAction } from './splunk.js';
import { opsgenieAction } from './opsgenie.js';
import { pagerdutyAction } from './pagerduty.js';
import { dependencytrackAction } from './dependencytrack.js';
import { nexusiqAction } from './nexusiq.js';
import { awssecurityhubAction } from './awssecurityhub.js';
import { alertmanagerAction } from './alertmanager.js';
import { natsAction } from './nats.js';
import { syslogAction } from './syslog.js';
import { lokiAction } from './loki.js';
import { elasticsearchAction } from './elasticsearch.js';
import { mattermostAction } from './mattermost.js';
import { discordAction } from './discord.js';
import { googlechatAction } from './googlechat.js';
import { rocketchatAction } from './rocketchat.js';

export const outputActions: readonly ActionFactory[] = [
  slackAction, teamsAction, emailAction, jiraAction, servicenowAction, splunkAction, opsgenieAction, pagerdutyAction,
  dependencytrackAction, nexusiqAction, awssecurityhubAction,
  alertmanagerAction, natsAction, syslogAction, lokiAction, elasticsearchAction, mattermostAction, discordAction, googlechatAction, rocketchatAction,
];
