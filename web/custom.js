/* Loaded by sao's index.html after the client (linked into
 * node_modules/tryton-sao by `make web`): local customisations go here. */
