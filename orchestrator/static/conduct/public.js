"use strict";
connect((s) => {
  fill("results", ...(s.results || []).map(r => el("li", {},
    `Питання ${r.item + 1}${r.amendment === null ? "" : ", поправка " + (r.amendment + 1)}: ` +
    `${r.adopted ? "ПРИЙНЯТО" : "НЕ ПРИЙНЯТО"} (за ${r["for"]}, проти ${r.against}, ` +
    `утрималися ${r.abstain}, не голосували ${r.not_voted}, відсутні ${r.absent}; потрібно ${r.required})`)));
});
