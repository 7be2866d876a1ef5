'use strict';
// The smallest complete use of usher from Node.js, as examples/hello.c: an
// engine, an event handler, the host's clock, and two host timers that fire
// in order across one clock jump. Run from the checkout after `make`:
//     node examples/node/hello.js
const usher = require('../../bindings/node');

const engine = new usher.Engine({
    onEvent(event) {
        if (event.type === 'TIMER')
            console.log(`event ${event.seq}: timer ${event.timerId} due at ${event.timeMs} ms`);
    },
});

try {
    console.log(`usher ${usher.version()}`);
    engine.setTimer(2, 90000); // scheduled first, due last
    engine.setTimer(1, 30000);
    console.log(`next deadline: ${engine.nextDeadline()} ms`);
    engine.advance(120000); // the host slept two minutes
} finally {
    engine.close();
}
